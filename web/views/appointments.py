"""The caseworker's side of booking: published hours, absences, and closing appointments."""

from __future__ import annotations

from aiohttp import web

from application import booking
from booking.appointment import Status
from booking.availability import WEEKDAYS, Hours, Schedule, parse_hours
from booking.errors import InvalidHours
from web.errors import FormError, domain_title
from web.i18n import gettext as _
from web.keys import DB, NOTIFIER
from web.views.availability_page import ABSENCE_FORMAT, availability_page
from web.views.common import form_str, now, redirect, require_role

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/availability", name="availability")
async def show_availability(request: web.Request) -> web.StreamResponse:
    return await availability_page(request, require_role(request, "caseworker"))


def _int(form: object, name: str) -> int:
    try:
        return int(form_str(form, name, 4))
    except ValueError:
        raise FormError(_("Slot length and buffer are whole minutes.")) from None


@routes.post("/availability")
async def save_hours(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    form = await request.post()
    try:
        hours: list[Hours] = []
        for weekday, name in enumerate(WEEKDAYS):
            hours.extend(parse_hours(weekday, form_str(form, f"hours_{name}")))
        schedule = Schedule(tuple(hours), _int(form, "slot_minutes"), _int(form, "buffer_minutes"))
    except FormError as exc:
        return await availability_page(request, account, error=exc.message, status=exc.status)
    except InvalidHours as exc:
        return await availability_page(request, account, error=domain_title(exc), status=400)
    await booking.save_schedule(request.app[DB], account.id, schedule)
    redirect("/availability?saved=1")


@routes.post("/availability/absences")
async def add_absence(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    form = await request.post()
    try:
        absence = booking.parse_absence(form_str(form, "first", 10), form_str(form, "last", 10))
    except InvalidHours:
        return await availability_page(request, account, error=_(ABSENCE_FORMAT))
    await booking.add_absence(request.app[DB], account.id, absence)
    redirect("/availability?saved=1")


@routes.post(r"/appointments/{booking_id:[0-9a-f-]{36}}/complete")
async def complete(request: web.Request) -> web.StreamResponse:
    """Done or no-show; this also settles the outcome of the session the booking came from."""
    account = require_role(request, "caseworker")
    form = await request.post()
    try:
        status = Status(form_str(form, "status", 16))
    except ValueError:
        raise web.HTTPBadRequest() from None
    appointment = await booking.complete(
        request.app[DB], request.app[NOTIFIER], request.match_info["booking_id"], account.id, status, now(request)
    )
    if status is Status.DONE:
        # Next: the feedback card for people without their confirmation page (issue 12).
        redirect(f"/appointments/{appointment.id}/done")
    redirect("/dashboard?completed=1")
