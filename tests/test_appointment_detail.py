"""The number to call and the address to go to: who sees them, when, and the audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import icalendar
from sqlalchemy import func, select, update

from booking.appointment import BookingRequest, Channel
from booking.availability import BERLIN
from booking.links import ManageLinks
from storage import bookings, users
from storage.models import AuditRow, Office
from tests.conftest import PASSWORD, TEST_PASSWORDS, login
from web.keys import DB, MANAGE_LINKS


def _next_monday(hour: int) -> datetime:
    today = datetime.now(BERLIN).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(hour), tzinfo=BERLIN).astimezone(UTC)


async def _book(app, channel: Channel, phone: str | None = "+49301234567") -> str:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        caseworker = await users.authenticate(db, TEST_PASSWORDS, "fachkraft", PASSWORD)
    assert caseworker
    request = BookingRequest(
        caseworker_id=caseworker.id,
        channel=channel,
        starts_at=_next_monday(9),
        idempotency_key=uuid.uuid4().hex,
        office_id=caseworker.office_id,
        phone=phone,
    )
    appointment = await bookings.book(app[DB], request, datetime.now(UTC))
    return appointment.id


async def _phone_views(app) -> int:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return int(
            await db.scalar(
                select(func.count()).select_from(AuditRow).where(AuditRow.event == "appointment.phone_viewed")
            )
            or 0
        )


async def test_number_is_shown_to_its_caseworker_on_the_day_until_settled(
    database, app, server, new_client, clock
) -> None:  # type: ignore[no-untyped-def]
    booking_id = await _book(app, Channel.PHONE)
    own = await new_client()
    await own.get("/login?lang=en")
    await login(own)
    page = await (await own.get(f"/appointments/{booking_id}")).text()
    assert "shown from the day of the appointment" in page and "1234567" not in page
    assert await _phone_views(app) == 0

    clock.now = _next_monday(7)
    csrf = await login(own)
    dashboard = await (await own.get("/dashboard")).text()
    assert f"/appointments/{booking_id}" in dashboard
    page = await (await own.get(f"/appointments/{booking_id}")).text()
    assert 'href="tel:+49301234567"' in page and "030 1234567" in page
    await own.get(f"/appointments/{booking_id}")
    assert await _phone_views(app) == 2

    other = await new_client()
    await login(other, "kollege")
    assert (await other.get(f"/appointments/{booking_id}")).status == 404

    resp = await own.post(
        f"/appointments/{booking_id}/complete", data={"csrf_token": csrf, "status": "done"}, allow_redirects=False
    )
    assert resp.status == 303
    page = await (await own.get(f"/appointments/{booking_id}")).text()
    assert "1234567" not in page
    assert await _phone_views(app) == 2


async def test_office_admin_sees_number_of_own_office_only(app, server, new_client, db, clock) -> None:  # type: ignore[no-untyped-def]
    booking_id = await _book(app, Channel.PHONE)
    async with db.begin() as s:
        office_id = await users.ensure_default_office(s)
        other = Office(name="Anderswo", address="")
        s.add(other)
        await s.flush()
        await users.create_user(
            s, TEST_PASSWORDS, "chefin", PASSWORD, display_name="A", role="admin", now=clock(), office_id=office_id
        )
        await users.create_user(
            s, TEST_PASSWORDS, "fremd", PASSWORD, display_name="B", role="admin", now=clock(), office_id=other.id
        )
    clock.now = _next_monday(8)
    admin = await new_client()
    page = await admin.get("/login")
    from tests.conftest import csrf_from

    await admin.post(
        "/login", data={"username": "chefin", "password": PASSWORD, "csrf_token": csrf_from(await page.text())}
    )
    overview = await (await admin.get("/admin")).text()
    assert f"/appointments/{booking_id}" in overview
    assert "030 1234567" in await (await admin.get(f"/appointments/{booking_id}")).text()
    stranger = await new_client()
    page = await stranger.get("/login")
    await stranger.post(
        "/login", data={"username": "fremd", "password": PASSWORD, "csrf_token": csrf_from(await page.text())}
    )
    assert (await stranger.get(f"/appointments/{booking_id}")).status == 404


async def test_in_person_appointment_carries_the_office_address(app, server, new_client, db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await s.execute(update(Office).values(name="Jobcenter Mitte", address="Musterstraße 12\n10115 Berlin"))
    booking_id = await _book(app, Channel.IN_PERSON, phone=None)
    own = await new_client()
    await login(own)
    assert "Musterstraße 12, 10115 Berlin" in await (await own.get("/dashboard")).text()
    assert "Musterstraße 12, 10115 Berlin" in await (await own.get(f"/appointments/{booking_id}")).text()
    links: ManageLinks = app[MANAGE_LINKS]
    async with app[DB]() as s:
        appointment = await bookings.get_booking(s, booking_id)
    token = links.issue(appointment.id, appointment.starts_at)
    person = await new_client()
    confirmation = await (await person.get(f"/booking/manage/{token}")).text()
    assert "Musterstraße 12, 10115 Berlin" in confirmation
    ics = await (await person.get(f"/booking/manage/{token}/termin.ics")).read()
    event = next(iter(icalendar.Calendar.from_ical(ics).walk("VEVENT")))
    assert str(event["LOCATION"]) == "Jobcenter Mitte, Musterstraße 12, 10115 Berlin"
