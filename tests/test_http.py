"""The HTTP edge through aiohttp's test client: login, sessions, the recipient path, bad input."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import PASSWORD, create_session, csrf_from, join_and_consent, login


async def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "database": "ok"}


async def test_login_page_is_german_by_default_and_english_on_request(client) -> None:  # type: ignore[no-untyped-def]
    html = await (await client.get("/login")).text()
    assert 'lang="de"' in html and "Anmelden" in html
    html = await (await client.get("/login?lang=en")).text()
    assert 'lang="en"' in html and "Log in" in html
    # remembered
    assert 'lang="en"' in await (await client.get("/login")).text()


async def test_login_sets_hardened_cookie_and_logout_ends_the_session(client) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf_from(await page.text())},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard"
    cookie = resp.headers["Set-Cookie"]
    assert "vb_login=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = resp.cookies["vb_login"].value
    csrf = csrf_from(await (await client.get("/dashboard")).text())
    resp = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    # The old cookie is dead on the server, not only deleted in the browser.
    client.session.cookie_jar.update_cookies({"vb_login": token})
    resp = await client.get("/dashboard", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/login")


async def test_wrong_password_and_throttling(client) -> None:  # type: ignore[no-untyped-def]
    csrf = csrf_from(await (await client.get("/login")).text())
    for _ in range(5):
        resp = await client.post("/login", data={"username": "fachkraft", "password": "wrong", "csrf_token": csrf})
        assert resp.status == 401
        assert "falsch" in await resp.text()
    resp = await client.post("/login", data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf})
    assert resp.status == 429
    assert "15 Minuten" in await resp.text()


async def test_post_without_csrf_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    resp = await client.post("/sessions", data={"group": "sgb2"})
    assert resp.status == 403
    resp = await client.post("/sessions", data={"group": "sgb2", "csrf_token": "forged"})
    assert resp.status == 403
    assert "nicht erlaubt" in (await resp.text()) or "Fehler" in (await resp.text())


async def test_json_post_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    resp = await client.post("/sessions", json={"group": "sgb2"})
    assert resp.status == 415


async def test_dashboard_requires_login(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/dashboard", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login?next=/dashboard"


async def test_login_next_never_leaves_the_site(client) -> None:  # type: ignore[no-untyped-def]
    csrf = csrf_from(await (await client.get("/login")).text())
    resp = await client.post(
        "/login",
        data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf, "next": "//evil.example/x"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "form,message",
    [
        ({}, "Gruppe"),
        ({"group": "sgb9"}, "Gruppe"),
        ({"group": "sgb2", "language": "xx"}, "Sprache"),
        ({"group": "sgb2", "scheduled_at": "morgen"}, "Zeitpunkt ist ungültig"),
        ({"group": "sgb2", "scheduled_at": "2001-01-01T10:00"}, "Vergangenheit"),
    ],
)
async def test_new_session_bad_input_keeps_the_form(client, form, message) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    resp = await client.post("/sessions", data={"csrf_token": csrf, **form})
    assert resp.status == 400
    html = await resp.text()
    assert message in html and 'role="alert"' in html


async def test_new_session_appears_on_dashboard_with_link(client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf, group="sgb3")
    html = await (await client.get("/dashboard")).text()
    assert f'data-session="{session_id}"' in html and "SGB III" in html
    assert join_path.startswith("/join/")


async def test_join_exchanges_token_for_cookie_and_clean_url(client, new_client, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    recipient = await new_client()
    resp = await recipient.get(join_path, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == f"/s/{session_id}"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    [cookie] = [c for c in resp.headers.getall("Set-Cookie") if c.startswith("vb_participant=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    landing = await recipient.get(f"/s/{session_id}")
    assert landing.status == 200
    assert "Video funktioniert bei mir nicht" in await landing.text() or "fallback" in await landing.text()
    token = join_path.rsplit("/", 1)[1]
    assert token not in caplog.text


async def test_access_log_redacts_tokens() -> None:
    from web.access_log import redact

    assert redact("/join/eyJhbGciOi.abc.def?x=1") == "/join/[redacted]"
    assert redact("/s/123/wait") == "/s/123/wait"


async def test_recipient_pages_need_the_cookie(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, _ = await create_session(client, csrf)
    stranger = await new_client()
    for path in ("", "/consent", "/wait", "/call"):
        resp = await stranger.get(f"/s/{session_id}{path}")
        assert resp.status == 403, path
        assert "nicht erlaubt" in await resp.text() or "Fehler" in await resp.text()


async def test_consent_is_recorded_with_version_and_hash(client, new_client, app) -> None:  # type: ignore[no-untyped-def]
    from consent.texts import current_text
    from storage import consents, sessions
    from web.keys import DB, POLICY

    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)
    async with app[DB]() as db:
        [participant] = [p for p in await sessions.participants_of(db, session_id) if p.role == "recipient"]
        record = await consents.current_consent(db, participant.id)
    text = current_text("de").filled(app[POLICY].facts())
    assert "{" not in text.body and "3 Monate" in text.body
    assert record is not None
    assert record.text_version == text.version and record.text_sha256 == text.sha256
    assert record.language == "de" and record.given_at.tzinfo is not None
    assert {s.value for s in record.scopes} == {"video", "audio", "data_processing"}
    # The shown text's bytes hash to what is stored.
    raw = await (await recipient.get(f"/consent/de/{text.version}.txt")).read()
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == record.text_sha256
    # The caseworker sees the consent state.
    html = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Einwilligung erteilt" in html or "Einwilligung liegt vor" in html


async def test_consent_without_tick_or_with_stale_version(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    _sid, join_path = await create_session(client, csrf)
    recipient = await new_client()
    resp = await recipient.get(join_path, allow_redirects=False)
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    html = await (await recipient.get(f"/s/{session_id}/consent")).text()
    token = csrf_from(html)
    resp = await recipient.post(
        f"/s/{session_id}/consent", data={"csrf_token": token, "action": "agree", "version": "1", "language": "de"}
    )
    assert resp.status == 400 and 'role="alert"' in await resp.text()
    resp = await recipient.post(
        f"/s/{session_id}/consent",
        data={"csrf_token": token, "action": "agree", "agree": "yes", "version": "0", "language": "de"},
    )
    assert resp.status == 400
    # Without consent the waiting room sends the person back to the consent page.
    resp = await recipient.get(f"/s/{session_id}/wait", allow_redirects=False)
    assert resp.headers["Location"] == f"/s/{session_id}/consent"


async def test_declining_consent_records_nothing_and_offers_fallback(client, new_client, app) -> None:  # type: ignore[no-untyped-def]
    from storage import consents, sessions
    from web.keys import DB

    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    recipient = await new_client()
    await recipient.get(join_path)
    html = await (await recipient.get(f"/s/{session_id}/consent")).text()
    resp = await recipient.post(
        f"/s/{session_id}/consent", data={"csrf_token": csrf_from(html), "action": "decline"}, allow_redirects=False
    )
    assert resp.headers["Location"] == f"/s/{session_id}/no-consent"
    page = await (await recipient.get(f"/s/{session_id}/no-consent")).text()
    assert f"/s/{session_id}/fallback" in page
    async with app[DB]() as db:
        assert await consents.consents_of_session(db, session_id) == {}
        assert [p.role for p in await sessions.participants_of(db, session_id)] == ["caseworker", "recipient"]


async def test_reopening_link_in_same_browser_reuses_participant(client, new_client, app) -> None:  # type: ignore[no-untyped-def]
    from storage import sessions
    from web.keys import DB

    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    recipient = await new_client()
    await recipient.get(join_path)
    await recipient.get(join_path)
    async with app[DB]() as db:
        assert [p.role for p in await sessions.participants_of(db, session_id)] == ["caseworker", "recipient"]


async def test_outcome_bad_input_and_double_submit(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    resp = await client.post(f"/sessions/{session_id}/outcome", data={"outcome": "teleport", "csrf_token": csrf})
    assert resp.status == 400
    resp = await client.post(
        f"/sessions/{session_id}/outcome", data={"outcome": "no_show", "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    resp = await client.post(f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": csrf})
    assert resp.status == 409
    html = await (await client.get(f"/sessions/{session_id}")).text()
    assert "no_show" in html or "nicht erschienen" in html


async def test_other_caseworker_cannot_see_session(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, _ = await create_session(client, csrf)
    other = await new_client()
    await login(other, "kollege")
    assert (await other.get(f"/sessions/{session_id}")).status == 404
    other_csrf = csrf_from(await (await other.get("/dashboard")).text())
    resp = await other.post(f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": other_csrf})
    assert resp.status == 404


async def test_unknown_page_is_german_and_json_for_clients(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/nothing-here")
    assert resp.status == 404 and "Diese Seite gibt es nicht" in await resp.text()
    resp = await client.get("/nothing-here", headers={"Accept": "application/json"})
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]["code"] == "http_404"


async def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/login")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert re.search(r"camera=\(self\)", resp.headers["Permissions-Policy"])


async def test_invitation_language_sets_the_recipients_language(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    resp = await client.post(
        "/sessions", data={"group": "sgb3", "language": "en", "csrf_token": csrf}, allow_redirects=False
    )
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    html = await (await client.get(f"/sessions/{session_id}")).text()
    link = re.search(r'id="invitation-link" class="link" readonly value="([^"]+)"', html)
    assert link
    recipient = await new_client()
    landing = await recipient.get(link.group(1)[link.group(1).index("/j/") :])
    page = await landing.text()
    assert 'lang="en"' in page and "Your video appointment" in page
    # Switching back to German stays possible.
    assert 'lang="de"' in await (await recipient.get(f"/s/{session_id}?lang=de")).text()


async def test_socketio_endpoint_skips_page_middlewares_but_pages_do_not(client) -> None:  # type: ignore[no-untyped-def]
    # Engine.io answers a request it cannot use itself (no page middleware wraps it) ...
    resp = await client.get("/socket.io/")
    assert resp.status == 400
    assert "Content-Security-Policy" not in resp.headers
    # ... while anything else under the prefix is a page: German 404 with the security headers.
    resp = await client.get("/socket.io/anything")
    assert resp.status == 404
    assert "Content-Security-Policy" in resp.headers
    assert "Diese Seite gibt es nicht." in await resp.text()
