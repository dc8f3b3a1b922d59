"""Sending the invitation by e-mail or SMS from the session page's invitation card.

The address or number typed in is used for the one send and then forgotten; only the
delivery state (sent / failed, channel, time) is stored with the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

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
from web.settings import Settings
from web.views.common import form_str, now, redirect, require_role
from web.views.sending import EMAIL, SEND_REFUSALS
from web.views.session_page import mailer, render_session_page, short_link, sms_gateway

__all__ = ["routes"]

routes = web.RouteTableDef()

_Sender = TypeVar("_Sender")

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


async def _opened(
    request: web.Request, service: Callable[[Settings], _Sender | None], field: str, limit: int
) -> tuple[CounselSession, _Sender, str]:
    """The caseworker's session, the service that sends (none set up: 404) and what was typed."""
    session = await _session(request)
    sender = service(request.app[SETTINGS])
    if sender is None:
        raise web.HTTPNotFound()
    return session, sender, form_str(await request.post(), field, limit)


async def _deliver(
    request: web.Request,
    session: CounselSession,
    channel: str,
    typed: dict[str, str],
    send: Callable[[], Awaitable[object]],
) -> web.StreamResponse:
    """Send within the caseworker's hourly budget; the delivery state is stored either way."""
    if not await _within_limit(request, session):
        return await _again(request, session, "limit", typed)
    try:
        await send()
    except DeliveryFailed as exc:
        await record_delivery(request.app[DB], session.id, channel, "failed", now(request))
        return await _again(request, session, exc.reason, typed)
    await record_delivery(request.app[DB], session.id, channel, "sent", now(request))
    redirect(f"/sessions/{session.id}?sent={channel}#invite")


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/email")
async def send_email(request: web.Request) -> web.StreamResponse:
    session, sender, address = await _opened(request, mailer, "email", 254)
    typed = {"email": address}
    if not EMAIL.match(address):
        return await _again(request, session, "email", typed)

    async def send() -> None:
        link = await short_link(request, session)
        language = translator(session.language)
        await sender.send(address, mail_subject(language), mail_body(language, link, session.scheduled_at))

    return await _deliver(request, session, "email", typed, send)


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/sms")
async def send_sms(request: web.Request) -> web.StreamResponse:
    session, gateway, raw = await _opened(request, sms_gateway, "phone", 40)
    typed = {"phone": raw}
    try:
        number = normalize_phone(raw)
    except InvalidPhone:  # the form again, with the card's own message
        return await _again(request, session, "phone", typed)
    text = sms_text(translator(session.language), await short_link(request, session), session.scheduled_at)
    if sms_length(text).segments > MAX_SEGMENTS:
        return await _again(request, session, "too_long", typed)
    return await _deliver(request, session, "sms", typed, lambda: gateway.send(number, text))
