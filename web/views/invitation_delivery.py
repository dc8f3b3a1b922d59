"""Sending the invitation by e-mail or SMS from the session page's invitation card.

The address or number typed in is used for the one send and then forgotten; only the
delivery state (sent / failed, channel, time) is stored with the session.
"""

from __future__ import annotations

from aiohttp import web

from application.invitation_delivery import record_delivery, sendable_session
from booking.errors import InvalidPhone
from booking.phone import normalize_phone
from rooms.invitation_text import MAX_SEGMENTS, mail_body, mail_subject, sms_length, sms_text
from rooms.session import CounselSession
from web.delivery import DeliveryFailed
from web.errors import N_
from web.i18n import gettext as _
from web.i18n import translator
from web.keys import DB, INVITATION_LIMITER, SETTINGS
from web.views.common import form_str, now, redirect, require_role
from web.views.sending import EMAIL, SEND_REFUSALS
from web.views.session_page import mailer, render_session_page, short_link, sms_gateway

__all__ = ["routes"]

routes = web.RouteTableDef()

# Why nothing was sent -> (status of the session page shown again, the card's message).
_REFUSALS = {
    **SEND_REFUSALS,
    "too_long": (422, N_("The text is too long for an SMS.")),
    "limit": (
        429,
        N_("You have sent many invitations in the last hour. Nothing was sent; please try again in a few minutes."),
    ),
}


async def _again(
    request: web.Request, session: CounselSession, reason: str, typed: dict[str, str]
) -> web.StreamResponse:
    status, message = _REFUSALS.get(reason, _REFUSALS["unavailable"])
    request["delivery_error"] = _(message)
    request["delivery_form"] = typed
    return await render_session_page(request, session, status)


async def _session(request: web.Request) -> CounselSession:
    account = require_role(request, "caseworker")
    session = await sendable_session(request.app[DB], account.id, request.match_info["session_id"])
    if session is None:
        raise web.HTTPNotFound()
    return session


async def _within_limit(request: web.Request, session: CounselSession) -> bool:
    """One more invitation of the session's caseworker this hour (shared by every node with Redis)."""
    return await request.app[INVITATION_LIMITER].hit(f"invitations:{session.caseworker_id}")


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/email")
async def send_email(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    sender = mailer(request.app[SETTINGS])
    if sender is None:
        raise web.HTTPNotFound()
    address = form_str(await request.post(), "email", 254)
    typed = {"email": address}
    if not EMAIL.match(address):
        return await _again(request, session, "email", typed)
    if not await _within_limit(request, session):
        return await _again(request, session, "limit", typed)
    link = await short_link(request, session)
    try:
        await sender.send(
            address,
            mail_subject(translator(session.language)),
            mail_body(translator(session.language), link, session.scheduled_at),
        )
    except DeliveryFailed as exc:
        await record_delivery(request.app[DB], session.id, "email", "failed", now(request))
        return await _again(request, session, exc.reason, typed)
    await record_delivery(request.app[DB], session.id, "email", "sent", now(request))
    redirect(f"/sessions/{session.id}?sent=email#invite")


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/sms")
async def send_sms(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    gateway = sms_gateway(request.app[SETTINGS])
    if gateway is None:
        raise web.HTTPNotFound()
    raw = form_str(await request.post(), "phone", 40)
    typed = {"phone": raw}
    try:
        number = normalize_phone(raw)
    except InvalidPhone:  # the form again, with the card's own message
        return await _again(request, session, "phone", typed)
    text = sms_text(translator(session.language), await short_link(request, session), session.scheduled_at)
    if sms_length(text).segments > MAX_SEGMENTS:
        return await _again(request, session, "too_long", typed)
    if not await _within_limit(request, session):
        return await _again(request, session, "limit", typed)
    try:
        await gateway.send(number, text)
    except DeliveryFailed as exc:
        await record_delivery(request.app[DB], session.id, "sms", "failed", now(request))
        return await _again(request, session, exc.reason, typed)
    await record_delivery(request.app[DB], session.id, "sms", "sent", now(request))
    redirect(f"/sessions/{session.id}?sent=sms#invite")
