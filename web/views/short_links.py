"""The short invitation link ``/j/<code>``: what an SMS, a QR code or a letter carries.

Opening it is the same exchange as the JWT link (``recipient.exchange_invitation``):
participant cookie, then the token-free ``/s/<id>``.
"""

from __future__ import annotations

from aiohttp import web

from rooms.errors import InvitationExpired, InvitationInvalid, InvitationNotYetValid
from rooms.invitation_codes import code_hash, looks_like_code
from rooms.invitations import Invitation, invitation_window
from rooms.session import CounselSession
from storage import invitation_codes
from web.keys import DB, INVITATION_CODES
from web.views.common import now, origin
from web.views.recipient import continue_on_this_device, exchange_invitation

__all__ = ["routes", "short_link"]

routes = web.RouteTableDef()


async def short_link(request: web.Request, session: CounselSession) -> str:
    """The session's short link for its current jti (stored as a hash on first view)."""
    code = request.app[INVITATION_CODES].code_for(session.id, session.invitation_jti)
    not_before, expires = invitation_window(session.created_at, session.scheduled_at)
    await invitation_codes.remember(
        request.app[DB], code_hash(code), session.id, session.invitation_jti, not_before, expires
    )
    return f"{origin(request)}/j/{code}"


@routes.get("/j/{code}", name="short_join")
async def short_join(request: web.Request) -> web.StreamResponse:
    return await exchange_invitation(request, await _invitation(request))


@routes.post("/j/{code}")
async def short_continue_here(request: web.Request) -> web.StreamResponse:
    """Opened on a second device: move the link's participant here (as ``/join``)."""
    return await continue_on_this_device(request, await _invitation(request))


async def _invitation(request: web.Request) -> Invitation:
    code = request.match_info["code"].lower()
    if not looks_like_code(code):
        raise InvitationInvalid("malformed")
    async with request.app[DB]() as db:
        stored = await invitation_codes.find(db, code_hash(code))
    if stored is None:
        raise InvitationInvalid("unknown code")
    moment = now(request)
    if moment < stored.not_before or moment >= stored.expires_at:
        error = InvitationNotYetValid("early") if moment < stored.not_before else InvitationExpired("expired")
        error.session_id = stored.session_id
        raise error
    # A withdrawn link's jti is no longer the session's: the exchange refuses it as revoked.
    return Invitation(session_id=stored.session_id, jti=stored.jti)
