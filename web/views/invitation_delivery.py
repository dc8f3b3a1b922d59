"""The invitation beyond copying: short link, copy button, QR code, e-mail and SMS.

The address or number typed in is used for the one send and then forgotten; only the
delivery state (sent / failed, channel, time) is stored with the session.
"""

from __future__ import annotations

import re
from typing import Any

import segno
from aiohttp import web

from booking.errors import InvalidPhone
from booking.phone import normalize_phone
from rooms.invitation_text import MAX_SEGMENTS, mail_body, mail_subject, sms_length, sms_text
from rooms.session import CounselSession
from storage import audit, deliveries, sessions
from web.delivery import DeliveryFailed, HttpSmsGateway, Mailer
from web.errors import N_
from web.i18n import gettext as _
from web.i18n import translator
from web.keys import DB, SETTINGS
from web.settings import Settings
from web.views.common import form_str, now, redirect, require_role
from web.views.short_links import short_link

__all__ = ["routes", "invitation_context"]

routes = web.RouteTableDef()

_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_MESSAGES = {
    "email": N_("Please enter a valid e-mail address, for example name@example.de."),
    "phone": N_("Please enter a valid mobile number, for example 0151 23456789."),
    "rejected": N_("The address or number was refused. Please check it and try again."),
    "timeout": N_("The sending service did not answer in time. Nothing was sent; please try again later."),
    "unavailable": N_("The sending service is not available right now. Nothing was sent; please try again later."),
    "too_long": N_("The text is too long for an SMS."),
}


def _mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_host:
        return None
    return Mailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.delivery_timeout_seconds,
    )


def _sms(settings: Settings) -> HttpSmsGateway | None:
    if not settings.sms_gateway_url:
        return None
    return HttpSmsGateway(
        settings.sms_gateway_url, settings.sms_api_key, settings.sms_sender, settings.delivery_timeout_seconds
    )


async def invitation_context(request: web.Request, session: CounselSession) -> dict[str, Any]:
    """What the session page's invitation card shows."""
    link = await short_link(request, session)
    async with request.app[DB]() as db:
        sent = await deliveries.of_session(db, session.id)
    settings = request.app[SETTINGS]
    return {
        "short_link": link,
        "qr_svg": segno.make(link, error="m").svg_data_uri(scale=4, border=2),
        "deliveries": sent,
        "mail_enabled": _mailer(settings) is not None,
        "sms_enabled": _sms(settings) is not None,
        "sms_preview": (preview := sms_text(translator(session.language), link, session.scheduled_at)),
        "sms_length": sms_length(preview),
        "delivery_error": request.get("delivery_error"),
        "delivery_form": request.get("delivery_form", {}),
    }


async def _again(request: web.Request, reason: str, typed: dict[str, str], status: int) -> web.StreamResponse:
    from web.views.caseworker import session_detail  # the caseworker module shows this card

    request["delivery_error"] = _(_MESSAGES[reason])
    request["delivery_form"] = typed
    response = await session_detail(request)
    response.set_status(status)
    return response


async def _session(request: web.Request) -> CounselSession:
    account = require_role(request, "caseworker")
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, request.match_info["session_id"])
    if session.caseworker_id != account.id:
        raise web.HTTPNotFound()
    session.ensure_joinable()
    return session


async def _record(request: web.Request, session: CounselSession, channel: str, state: str) -> None:
    async with request.app[DB].begin() as db:
        await deliveries.record(db, session.id, channel, state, now(request))
        await audit.audit(db, f"invitation.{channel}_{state}", now(request), f"session={session.id}")


_STATUS = {"rejected": 400, "timeout": 504, "unavailable": 502}


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/email")
async def send_email(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    mailer = _mailer(request.app[SETTINGS])
    if mailer is None:
        raise web.HTTPNotFound()
    form = await request.post()
    address = form_str(form, "email", 254)
    typed = {"email": address}
    if not _EMAIL.match(address):
        return await _again(request, "email", typed, 400)
    link = await short_link(request, session)
    try:
        await mailer.send(
            address,
            mail_subject(translator(session.language)),
            mail_body(translator(session.language), link, session.scheduled_at),
        )
    except DeliveryFailed as exc:
        await _record(request, session, "email", "failed")
        return await _again(request, exc.reason, typed, _STATUS.get(exc.reason, 502))
    await _record(request, session, "email", "sent")
    redirect(f"/sessions/{session.id}?sent=email#invite")


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/invite/sms")
async def send_sms(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    gateway = _sms(request.app[SETTINGS])
    if gateway is None:
        raise web.HTTPNotFound()
    form = await request.post()
    raw = form_str(form, "phone", 40)
    typed = {"phone": raw}
    try:
        number = normalize_phone(raw)
    except InvalidPhone:
        return await _again(request, "phone", typed, 400)
    text = sms_text(translator(session.language), await short_link(request, session), session.scheduled_at)
    if sms_length(text).segments > MAX_SEGMENTS:
        return await _again(request, "too_long", typed, 500)
    try:
        await gateway.send(number, text)
    except DeliveryFailed as exc:
        await _record(request, session, "sms", "failed")
        return await _again(request, exc.reason, typed, _STATUS.get(exc.reason, 502))
    await _record(request, session, "sms", "sent")
    redirect(f"/sessions/{session.id}?sent=sms#invite")
