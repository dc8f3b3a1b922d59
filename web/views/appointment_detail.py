"""One appointment as the person who holds it sees it: the number to call, the address.

The recipient's phone number is shown to the assigned caseworker and to the office's
administrators, from the day of the appointment (Berlin) until it is settled; each
time it is shown is an audit entry. It goes with the booking (``storage.purge``).
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web

from booking.appointment import Appointment, Status
from booking.availability import BERLIN
from booking.phone import display_phone
from storage import audit, availability, bookings
from storage.appointment_views import office_appointments
from storage.users import Account
from web.keys import DB
from web.views.common import now, redirect

__all__ = ["routes", "phone_visible", "todays_office_appointments"]

routes = web.RouteTableDef()


def phone_visible(appointment: Appointment, moment_day: object) -> bool:
    """From the appointment's day (Berlin) until it is settled (done, no-show, cancelled)."""
    return (
        appointment.status is Status.BOOKED
        and appointment.phone is not None
        and appointment.starts_at.astimezone(BERLIN).date() <= moment_day  # type: ignore[operator]
    )


def _may_see(account: Account, appointment: Appointment) -> bool:
    if account.role == "caseworker":
        return appointment.caseworker_id == account.id
    if account.role == "admin":
        return account.office_id is None or account.office_id == appointment.office_id
    return False


@routes.get(r"/appointments/{booking_id:[0-9a-f-]{36}}", name="appointment")
async def appointment_page(request: web.Request) -> web.StreamResponse:
    account: Account | None = request["account"]
    if account is None:
        redirect(f"/login?next={request.path}")
    moment = now(request)
    async with request.app[DB].begin() as db:
        appointment = await bookings.get_booking(db, request.match_info["booking_id"])
        if not _may_see(account, appointment):
            raise web.HTTPNotFound()
        office = await availability.office_info(db, appointment.office_id)
        phone = None
        if phone_visible(appointment, moment.astimezone(BERLIN).date()):
            assert appointment.phone is not None
            phone = display_phone(appointment.phone)
            await audit.audit(db, "appointment.phone_viewed", moment, f"booking={appointment.id} user={account.id}")
    return aiohttp_jinja2.render_template(
        "appointment.html",
        request,
        {
            "appointment": appointment,
            "office": office,
            "phone": phone,
            "phone_e164": appointment.phone if phone else None,
            "back": "/admin" if account.role == "admin" else "/dashboard",
        },
    )


async def todays_office_appointments(request: web.Request, account: Account) -> list[object]:
    """For the admin page: today's booked appointments of the offices ``account`` manages."""
    day = now(request).astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    async with request.app[DB]() as db:
        return list(await office_appointments(db, account.office_id, day, day + timedelta(days=1)))
