"""Error pages that know who is looking: recipients get the way out, never the staff login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import update

from booking.availability import BERLIN
from storage.models import Office
from tests.conftest import create_session, join_and_consent, login


async def _office(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await s.execute(
            update(Office).values(
                name="Amt Mitte",
                address="Musterstraße 12\n10115 Berlin",
                phone="030 1234567",
                opening_hours='{"mon":[["08:00","12:00"]]}',
            )
        )


async def test_early_link_names_the_time_in_berlin_and_links_the_check(client, new_client, db) -> None:  # type: ignore[no-untyped-def]
    await _office(db)
    csrf = await login(client)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(BERLIN).replace(hour=10, minute=30)
    _sid, long_path = await create_session(client, csrf, scheduled_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    person = await new_client()
    for path in (long_path,):
        resp = await person.get(path)
        html = await resp.text()
        assert resp.status == 403
        # The time in Berlin, the date in the page's own full format (Babel, web/templating.py).
        assert "10:30" in html and format_date(tomorrow.date(), "full", locale="de") in html
        assert 'href="/check"' in html
        assert 'href="/"' not in html and "/login" not in html
        assert "030 1234567" in html and "Musterstraße 12, 10115 Berlin" in html


async def test_short_early_link_too(client, new_client) -> None:  # type: ignore[no-untyped-def]
    import re

    csrf = await login(client)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(BERLIN).replace(hour=9, minute=15)
    session_id, _long = await create_session(client, csrf, scheduled_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page = await (await client.get(f"/sessions/{session_id}")).text()
    short = re.search(r'id="invitation-link" class="link" readonly value="[^"]*(/j/[a-z2-7]+)"', page)
    assert short
    person = await new_client()
    html = await (await person.get(short.group(1))).text()
    assert "09:15" in html and 'href="/check"' in html


async def test_foreign_browser_gets_the_way_out(client, new_client, db) -> None:  # type: ignore[no-untyped-def]
    await _office(db)
    csrf = await login(client)
    _sid, path = await create_session(client, csrf)
    owner = await new_client()
    session_id = await join_and_consent(owner, path)
    stranger = await new_client()
    resp = await stranger.get(f"/s/{session_id}/wait")
    html = await resp.text()
    assert resp.status == 403
    assert "in einem anderen Browser" in html
    assert 'id="way-out"' in html and "030 1234567" in html
    assert "Montag: 08:00–12:00" in html
    assert 'href="/"' not in html and "/login" not in html


async def test_invalid_link_never_points_to_the_staff_login(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/join/not-a-token", "/j/aaaaaaaaaaaaaaaaaaaa", "/s/00000000-0000-0000-0000-000000000000"):
        resp = await client.get(path)
        html = await resp.text()
        assert resp.status >= 400
        assert 'id="way-out"' in html
        assert 'href="/"' not in html and "/login" not in html


async def test_staff_errors_lead_back_to_the_start_page(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    resp = await client.get("/sessions/00000000-0000-0000-0000-000000000000")
    html = await resp.text()
    assert resp.status == 404 and 'href="/"' in html and 'id="way-out"' not in html


async def test_expired_genuine_link_keeps_its_office_and_the_booking_way(client, new_client, db, settings) -> None:  # type: ignore[no-untyped-def]
    import jwt

    from rooms.invitations import InvitationSigner, load_or_create_key

    await _office(db)
    csrf = await login(client)
    session_id, path = await create_session(client, csrf)
    person = await new_client()
    assert await join_and_consent(person, path) == session_id
    jti = jwt.decode(path.rsplit("/", 1)[1], options={"verify_signature": False})["jti"]
    signer = InvitationSigner(
        load_or_create_key(settings.signing_key_path), issuer="videoberatung", audience="videoberatung:join"
    )
    now = datetime.now(UTC)
    expired = signer.issue(session_id, jti, now - timedelta(hours=5), now - timedelta(hours=1))
    for browser, booking in ((person, True), (await new_client(), False)):
        resp = await browser.get(f"/join/{expired}", allow_redirects=False)
        html = await resp.text()
        assert resp.status == 410 and "abgelaufen" in html
        assert 'id="office-phone"' in html and "030 1234567" in html
        assert "Musterstraße 12, 10115 Berlin" in html
        # The browser that holds the appointment may book a phone or in-person one instead.
        assert (f'href="/s/{session_id}/fallback"' in html) is booking
        assert "/login" not in html


async def test_withdrawn_link_keeps_its_office(client, new_client, db) -> None:  # type: ignore[no-untyped-def]
    await _office(db)
    csrf = await login(client)
    session_id, old = await create_session(client, csrf)
    person = await new_client()
    await join_and_consent(person, old)
    resp = await client.post(f"/sessions/{session_id}/revoke", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    resp = await person.get(old, allow_redirects=False)
    html = await resp.text()
    assert resp.status == 410 and "zurückgezogen" in html
    assert "030 1234567" in html and f'href="/s/{session_id}/fallback"' in html
