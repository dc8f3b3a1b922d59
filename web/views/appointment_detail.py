"""One appointment as the person who holds it sees it: the number to call, the address.

The recipient's phone number is shown to the assigned caseworker and to the office's
administrators, from the day of the appointment (Berlin) until it is settled; each
time it is shown is an audit entry (``application.booking.appointment_for``). It goes
with the booking (``storage.purge``).
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application import booking
from application.administration import Account
from web.keys import DB
from web.views.common import now, redirect

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get(r"/appointments/{booking_id:[0-9a-f-]{36}}", name="appointment")
async def appointment_page(request: web.Request) -> web.StreamResponse:
    account: Account | None = request["account"]
    if account is None:
        redirect(f"/login?next={request.path}")
    appointment, office, phone = await booking.appointment_for(
        request.app[DB], account, request.match_info["booking_id"], now(request)
    )
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
