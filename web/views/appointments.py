"""The caseworker's side of booking: published hours, absences, and closing appointments."""

from __future__ import annotations

from datetime import date, timedelta

import aiohttp_jinja2
from aiohttp import web

from booking.appointment import Status
from booking.availability import BERLIN, WEEKDAYS, Absence, Hours, Schedule, parse_hours
from booking.errors import InvalidHours
from storage import availability, bookings, sessions
from storage.users import Account
from web.errors import N_, FormError, domain_title
from web.i18n import gettext as _
from web.keys import DB, NOTIFIER
from web.views.common import form_str, now, redirect, require_role

__all__ = ["routes"]

routes = web.RouteTableDef()


def _hours_text(schedule: Schedule, weekday: int) -> str:
    return ", ".join(
        f"{h.start.strftime('%H:%M')}-{h.end.strftime('%H:%M')}" for h in schedule.hours if h.weekday == weekday
    )


async def _page(
    request: web.Request, account: Account, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    today = now(request).astimezone(BERLIN).date()
    async with request.app[DB]() as db:
        schedule = await availability.load_schedule(db, account.id, account.office_id, today)
        own = await availability.own_absences(db, account.id, today)
    return aiohttp_jinja2.render_template(
        "availability.html",
        request,
        {
            "weekdays": [(i, _(name)) for i, name in enumerate(_WEEKDAY_NAMES)],
            "hours": {i: _hours_text(schedule, i) for i in range(len(WEEKDAYS))},
            "schedule": schedule,
            "own_absences": own,
            "error": error,
        },
        status=status,
    )


async def availability_error(request: web.Request, account: Account, message: str) -> web.StreamResponse:
    """The availability page again, with ``message`` on it (for the absences module)."""
    return await _page(request, account, error=message, status=400)


_WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


@routes.get("/availability", name="availability")
async def availability_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, require_role(request, "caseworker"))


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
        return await _page(request, account, error=exc.message, status=exc.status)
    except InvalidHours as exc:
        return await _page(request, account, error=domain_title(exc), status=400)
    async with request.app[DB].begin() as db:
        await availability.save_schedule(db, account.id, schedule)
    redirect("/availability?saved=1")


@routes.post("/availability/absences")
async def add_absence(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    form = await request.post()
    try:
        first = date.fromisoformat(form_str(form, "first", 10))
        last = date.fromisoformat(form_str(form, "last", 10) or first.isoformat())
        absence = Absence(first, last)
        if last - first > timedelta(days=366):
            raise InvalidHours("too long")
    except (ValueError, InvalidHours):
        return await _page(request, account, error=_("Please enter the absence as two dates, first and last day."))
    async with request.app[DB].begin() as db:
        await availability.add_absence(db, absence, caseworker_id=account.id)
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
    moment = now(request)
    ended = None
    async with request.app[DB].begin() as db:
        appointment = await bookings.get_booking(db, request.match_info["booking_id"], for_update=True)
        if appointment.caseworker_id != account.id:
            raise web.HTTPNotFound()
        outcome = appointment.complete(status)
        await bookings.save_booking(db, appointment)
        if appointment.session_id is not None:
            session = await sessions.get_session(db, appointment.session_id, for_update=True)
            was_open = session.joinable
            session.settle(outcome, moment)
            await sessions.save_session(db, session)
            ended = session.id if was_open else None
    if ended is not None:
        await request.app[NOTIFIER].session_ended(ended, outcome)
    if status is Status.DONE:
        # Next: the feedback card for people without their confirmation page (issue 12).
        redirect(f"/appointments/{appointment.id}/done")
    redirect("/dashboard?completed=1")
