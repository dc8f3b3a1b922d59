"""The short invitation link ``/j/<code>``: what an SMS, a QR code or a letter carries.

Opening it is the same exchange as the JWT link (``participants.exchange_invitation``):
participant cookie, then the token-free ``/s/<id>``.
"""

from __future__ import annotations

from aiohttp import web

from application.joining import invitation_from_code
from web.keys import BOOKING_LIMITER, DB
from web.views.common import now
from web.views.participants import continue_on_this_device, exchange_invitation

__all__ = ["routes"]

routes = web.RouteTableDef()


async def _limit_guessing(request: web.Request) -> None:
    # As ``/f/<code>``: guessing is slowed per client (in memory, or shared through Redis
    # by every node; never stored). The code space (2^100) makes guessing hopeless anyway.
    if not await request.app[BOOKING_LIMITER].hit(f"join-code:{request.remote}"):
        raise web.HTTPTooManyRequests(headers={"Retry-After": "10"})


@routes.get("/j/{code}", name="short_join")
async def short_join(request: web.Request) -> web.StreamResponse:
    await _limit_guessing(request)
    invitation = await invitation_from_code(request.app[DB], request.match_info["code"], now(request))
    return await exchange_invitation(request, invitation)


@routes.post("/j/{code}")
async def short_continue_here(request: web.Request) -> web.StreamResponse:
    """Opened on a second device: move the link's participant here (as ``/join``)."""
    await _limit_guessing(request)
    invitation = await invitation_from_code(request.app[DB], request.match_info["code"], now(request))
    return await continue_on_this_device(request, invitation)
