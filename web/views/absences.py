"""A caseworker edits or deletes their own absences (never an office holiday)."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from booking.availability import Absence
from booking.errors import InvalidHours
from storage import availability
from web.i18n import gettext as _
from web.keys import DB
from web.views.appointments import availability_error
from web.views.common import form_str, redirect, require_role

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post(r"/availability/absences/{absence_id:\d+}")
async def change_absence(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    absence_id = int(request.match_info["absence_id"])
    form = await request.post()
    if form_str(form, "action", 10) == "delete":
        async with request.app[DB].begin() as db:
            found = await availability.delete_absence(db, account.id, absence_id)
    else:
        try:
            first = date.fromisoformat(form_str(form, "first", 10))
            last = date.fromisoformat(form_str(form, "last", 10) or first.isoformat())
            absence = Absence(first, last)
            if last - first > timedelta(days=366):
                raise InvalidHours("too long")
        except (ValueError, InvalidHours):
            return await availability_error(
                request, account, _("Please enter the absence as two dates, first and last day.")
            )
        async with request.app[DB].begin() as db:
            found = await availability.update_absence(db, account.id, absence_id, absence)
    if not found:
        raise web.HTTPNotFound()
    redirect("/availability?saved=1")
