"""A caseworker edits or deletes their own absences (never an office holiday)."""

from __future__ import annotations

from aiohttp import web

from application import booking
from booking.errors import InvalidHours
from web.i18n import gettext as _
from web.keys import DB
from web.views.availability_page import ABSENCE_FORMAT, availability_page
from web.views.common import form_str, redirect, require_role

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post(r"/availability/absences/{absence_id:\d+}")
async def change_absence(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    absence_id = int(request.match_info["absence_id"])
    form = await request.post()
    absence = None
    if form_str(form, "action", 10) != "delete":
        try:
            absence = booking.parse_absence(form_str(form, "first", 10), form_str(form, "last", 10))
        except InvalidHours:
            return await availability_page(request, account, error=_(ABSENCE_FORMAT), status=400)
    if not await booking.change_absence(request.app[DB], account.id, absence_id, absence):
        raise web.HTTPNotFound()
    redirect("/availability?saved=1")
