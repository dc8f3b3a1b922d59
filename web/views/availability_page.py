"""The caseworker's availability page (published hours and own absences), rendered for the
views that show it again after a change (``views.appointments``, ``views.absences``)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application import booking
from application.administration import Account
from booking.availability import WEEKDAYS, Schedule
from web.errors import N_
from web.i18n import gettext as _
from web.keys import DB
from web.views.common import now

__all__ = ["ABSENCE_FORMAT", "availability_page"]

ABSENCE_FORMAT = N_("Please enter the absence as two dates, first and last day.")

_WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _hours_text(schedule: Schedule, weekday: int) -> str:
    return ", ".join(
        f"{h.start.strftime('%H:%M')}-{h.end.strftime('%H:%M')}" for h in schedule.hours if h.weekday == weekday
    )


async def availability_page(
    request: web.Request, account: Account, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    schedule, own = await booking.own_schedule(request.app[DB], account, now(request))
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
