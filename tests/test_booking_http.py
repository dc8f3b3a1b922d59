"""The booking pages through the real app: ways in, booking, confirmation, bad input."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import func, select, update

from booking.availability import BERLIN
from storage import sessions
from storage.models import BookingRow, Office
from tests.conftest import create_session, csrf_from, login
from web.access_log import redact
from web.keys import DB

_SLOT = re.compile(r'name="slot" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _next_monday_morning() -> datetime:
    today = datetime.now(BERLIN).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(7), tzinfo=BERLIN).astimezone(UTC)


def _slot(local_hour: int, minute: int = 0, now: datetime | None = None) -> str:
    day = (now or _next_monday_morning()).astimezone(BERLIN).date()
    start = datetime.combine(day, time(local_hour, minute), tzinfo=BERLIN).astimezone(UTC)
    return start.strftime("%Y-%m-%dT%H:%MZ")


@pytest.fixture
async def recipient(new_client, clock):  # type: ignore[no-untyped-def]
    """(client of an invited recipient, session id, caseworker client, caseworker csrf)."""
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    person = await new_client()
    resp = await person.get(join_path, allow_redirects=False)
    assert resp.status == 303
    clock.now = _next_monday_morning()  # after joining: the invitation checks the real time
    csrf = await login(caseworker)  # a login session that is valid at the moved time
    return person, session_id, caseworker, csrf


async def _form(client, session_id: str, query: str = "") -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    resp = await client.get(f"/s/{session_id}/fallback{query}")
    assert resp.status == 200, await resp.text()
    html = await resp.text()
    key = _KEY.search(html)
    assert key
    return html, csrf_from(html), key.group(1)


async def _book(client, session_id: str, **fields: str):  # type: ignore[no-untyped-def]
    html, csrf, key = await _form(client, session_id)
    data = {"csrf_token": csrf, "idempotency_key": key, "channel": "phone", "phone": "030 1234567", "who": "mine"}
    data.update(fields)
    return await client.post(f"/s/{session_id}/fallback", data=data, allow_redirects=False)


async def _count(app) -> int:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return int(await db.scalar(select(func.count()).select_from(BookingRow)) or 0)


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("no_consent", "nicht in Video eingewilligt"),
        ("declined", "konnte nicht stattfinden"),
        ("withdrawn", "Einwilligung widerrufen"),
        ("media", "Kamera oder Mikrofon"),
        ("call_failed", "abgebrochen"),
    ],
)
async def test_every_dead_end_offers_the_booking(recipient, reason: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    html, _, _ = await _form(person, session_id, f"?reason={reason}")
    assert sentence in html
    slots = _SLOT.findall(html)
    assert slots[0] == _slot(8) and _slot(14, now=_next_monday_morning() + timedelta(days=3)) in slots
    assert 'name="channel" value="phone"' in html and 'name="channel" value="in_person"' in html
    landing = await (await person.get(f"/s/{session_id}")).text()
    assert f"/s/{session_id}/fallback" in landing


async def test_phone_booking_confirmation_ics_and_cancel(recipient, app, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="aiosqlite")  # as main() configures it
    person, session_id, _cw, _csrf = recipient
    resp = await _book(person, session_id, slot=_slot(9))
    assert resp.status == 303 and resp.headers["Location"].startswith("/booking/manage/")
    manage = resp.headers["Location"]
    await person.get(manage)
    # Neither the phone number nor the link's token reaches any log.
    assert "1234567" not in caplog.text and manage.rsplit("/", 1)[1] not in caplog.text
    assert redact(f"{manage}/termin.ics") == "/booking/manage/[redacted]/termin.ics"
    html = await (await person.get(manage)).text()
    assert "09:00" in html and "Montag" in html and "030 1234567" in html
    ics = await person.get(f"{manage}/termin.ics")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    raw = await ics.read()
    assert b"DTSTART;TZID=Europe/Berlin:" in raw and b"T090000" in raw
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert event.decoded("dtstart").astimezone(BERLIN).hour == 9
    # Coming back to the booking page shows the booking instead of booking again.
    again = await person.get(f"/s/{session_id}/fallback", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == manage
    csrf = csrf_from(html)
    resp = await person.post(f"{manage}/cancel", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    assert "storniert" in await (await person.get(manage)).text()
    html, _, _ = await _form(person, session_id)
    assert _slot(9) in _SLOT.findall(html)  # free again at once


async def test_taken_slot_gets_clear_answer_with_next_times(recipient, new_client, app, clock) -> None:  # type: ignore[no-untyped-def]
    person, session_id, caseworker, csrf = recipient
    assert (await _book(person, session_id, slot=_slot(10))).status == 303
    booking_time, clock.now = clock.now, None  # the caseworker's login and the link need real time
    other_session, join_path = await create_session(caseworker, csrf)
    other = await new_client()
    assert (await other.get(join_path, allow_redirects=False)).status == 303
    clock.now = booking_time
    resp = await _book(other, other_session, slot=_slot(10), phone="0170 1234567")
    assert resp.status == 409
    html = await resp.text()
    assert "Dieser Termin wurde gerade vergeben" in html and 'id="alternatives"' in html
    assert "10:30" in html and 'value="0170 1234567"' in html  # nothing typed is lost
    assert await _count(app) == 1


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        ({"slot": "past"}, 400, "in der Vergangenheit"),
        ({"slot": "off_grid"}, 400, "keine Termine"),
        ({"slot": "saturday"}, 400, "keine Termine"),
        ({"phone": "12345"}, 400, "gültige Telefonnummer"),
        ({"phone": ""}, 400, "gültige Telefonnummer"),
        ({"channel": ""}, 400, "telefonisch oder persönlich"),
        ({"slot": ""}, 400, "Bitte wählen Sie eine Zeit"),
        ({"idempotency_key": "x"}, 400, "abgelaufen"),
    ],
)
async def test_bad_input_is_answered_in_german(recipient, app, fields, status, sentence) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    monday = _next_monday_morning()
    special = {
        "past": _slot(6, now=monday),
        "off_grid": _slot(9, 10),
        "saturday": _slot(9, now=monday + timedelta(days=5)),
    }
    fields = {k: special.get(v, v) for k, v in fields.items()}
    resp = await _book(person, session_id, **{"slot": _slot(9), **fields})
    assert resp.status == status
    assert sentence in await resp.text()
    assert await _count(app) == 0


async def test_double_submit_books_once(recipient, app) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    _html, csrf, key = await _form(person, session_id)
    data = {"csrf_token": csrf, "idempotency_key": key, "channel": "in_person", "slot": _slot(11), "who": "mine"}
    first = await person.post(f"/s/{session_id}/fallback", data=data, allow_redirects=False)
    second = await person.post(f"/s/{session_id}/fallback", data=data, allow_redirects=False)
    # The back button shows an old form with another key: still no second booking.
    third = await person.post(
        f"/s/{session_id}/fallback", data={**data, "idempotency_key": key[:-1] + "0"}, allow_redirects=False
    )
    assert first.status == second.status == third.status == 303
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    assert await _count(app) == 1


async def test_expired_and_tampered_links(recipient, clock) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    manage = (await _book(person, session_id, slot=_slot(9))).headers["Location"]
    token = manage.rsplit("/", 1)[1]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    resp = await person.get(f"/booking/manage/{tampered}")
    assert resp.status == 400 and "nicht gültig" in await resp.text()
    clock.now = clock() + timedelta(hours=3)  # the appointment has begun
    resp = await person.get(manage)
    assert resp.status == 410 and "abgelaufen" in await resp.text()


async def test_booking_posts_are_rate_limited(recipient) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    statuses = [(await _book(person, session_id, slot="", phone="1")).status for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


async def test_reschedule_moves_the_appointment(recipient, app) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    manage = (await _book(person, session_id, slot=_slot(9))).headers["Location"]
    page = await (await person.get(f"{manage}/reschedule")).text()
    key = _KEY.search(page)
    assert key and _slot(9) not in _SLOT.findall(page)
    resp = await person.post(
        f"{manage}/reschedule",
        data={"csrf_token": csrf_from(page), "idempotency_key": key.group(1), "slot": _slot(11)},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert "11:00" in await (await person.get(resp.headers["Location"])).text()
    assert "storniert" in await (await person.get(manage)).text()


async def test_caseworker_sees_and_completes_the_appointment(recipient, app) -> None:  # type: ignore[no-untyped-def]
    person, session_id, caseworker, csrf = recipient
    await _book(person, session_id, slot=_slot(9))
    html = await (await caseworker.get("/dashboard")).text()
    match = re.search(r'action="/appointments/([0-9a-f-]{36})/complete"', html)
    assert match and "telefonisch" in html
    resp = await caseworker.post(
        f"/appointments/{match.group(1)}/complete",
        data={"csrf_token": csrf, "status": "done"},
        allow_redirects=False,
    )
    assert resp.status == 303
    async with app[DB]() as db:
        session = await sessions.get_session(db, session_id)
    assert session.outcome == "phone" and session.group == "sgb2" and session.state == "ended"
    html = await (await caseworker.get("/dashboard")).text()
    assert f"/appointments/{match.group(1)}/complete" not in html


async def test_caseworker_edits_hours_and_absence(recipient, app) -> None:  # type: ignore[no-untyped-def]
    person, session_id, caseworker, csrf = recipient
    page = await (await caseworker.get("/availability")).text()
    assert "08:00-12:00, 14:00-17:30" in page
    hours = {"csrf_token": csrf, "hours_mon": "12:00-08:00", "slot_minutes": "30", "buffer_minutes": "0"}
    bad = await caseworker.post("/availability", data=hours)
    assert bad.status == 400 and "nicht gültig" in await bad.text()
    resp = await caseworker.post(
        "/availability",
        data={"csrf_token": csrf, "hours_mon": "13:00-14:00", "slot_minutes": "20", "buffer_minutes": "10"},
        allow_redirects=False,
    )
    assert resp.status == 303
    html, _, _ = await _form(person, session_id)
    week = _next_monday_morning() + timedelta(days=7)
    assert _SLOT.findall(html) == [_slot(13), _slot(13, 30), _slot(13, now=week), _slot(13, 30, now=week)]
    monday = _next_monday_morning().astimezone(BERLIN).date().isoformat()
    resp = await caseworker.post(
        "/availability/absences", data={"csrf_token": csrf, "first": monday, "last": monday}, allow_redirects=False
    )
    assert resp.status == 303
    html, _, _ = await _form(person, session_id)
    assert _slot(13) not in _SLOT.findall(html)


async def test_office_without_choice_books_any_caseworker(recipient, app) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _cw, _csrf = recipient
    async with app[DB].begin() as db:
        if await db.scalar(select(func.count()).select_from(Office)) == 0:
            db.add(Office(name="Jobcenter Mitte"))
    async with app[DB].begin() as db:
        await db.execute(update(Office).values(address="Hauptstraße 1", allow_caseworker_choice=False))
    html, _, _ = await _form(person, session_id, "?who=mine")
    assert 'name="who" value="any"' in html and "?who=any" not in html and "Hauptstraße 1" in html
