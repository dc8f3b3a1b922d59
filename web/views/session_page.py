"""The caseworker's session page, with its invitation card (short link, QR code, e-mail, SMS).

Shown by the caseworker's views and again, with the card's message, by the sending views.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import segno
from aiohttp import web

from application.joining import short_code
from application.sessions import session_page
from feedback.questionnaire import RATING_QUESTIONS
from rooms.invitation_text import sms_length, sms_text
from rooms.session import CounselSession, Outcome
from rooms.third import ThirdRole
from web.delivery import HttpSmsGateway, Mailer
from web.i18n import translator
from web.keys import DB, INVITATION_CODES, SETTINGS
from web.settings import Settings
from web.views.common import invitation_link, local, origin

__all__ = ["render_session_page", "short_link", "mailer", "sms_gateway"]


def mailer(settings: Settings) -> Mailer | None:
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


def sms_gateway(settings: Settings) -> HttpSmsGateway | None:
    if not settings.sms_gateway_url:
        return None
    return HttpSmsGateway(
        settings.sms_gateway_url, settings.sms_api_key, settings.sms_sender, settings.delivery_timeout_seconds
    )


async def short_link(request: web.Request, session: CounselSession) -> str:
    """The session's short link for its current jti."""
    return f"{origin(request)}/j/{await short_code(request.app[DB], request.app[INVITATION_CODES], session)}"


async def _invitation_card(request: web.Request, session: CounselSession) -> dict[str, Any]:
    link = await short_link(request, session)
    settings = request.app[SETTINGS]
    return {
        "short_link": link,
        "qr_svg": segno.make(link, error="m").svg_data_uri(scale=4, border=2),
        "mail_enabled": mailer(settings) is not None,
        "sms_enabled": sms_gateway(settings) is not None,
        "sms_preview": (preview := sms_text(translator(session.language), link, session.scheduled_at)),
        "sms_length": sms_length(preview),
        "delivery_error": request.get("delivery_error"),
        "delivery_form": request.get("delivery_form", {}),
    }


async def render_session_page(request: web.Request, session: CounselSession, status: int = 200) -> web.StreamResponse:
    """The session page: participants, consents, invitation card, third person, outcome and rating."""
    facts = await session_page(request.app[DB], session)
    third = facts.third
    page = aiohttp_jinja2.render_template(
        "session.html",
        request,
        {
            "session": session,
            "link": invitation_link(request, session, session.invitation_jti) if session.joinable else None,
            **(await _invitation_card(request, session) if session.joinable else {}),
            "deliveries": facts.deliveries,
            "participants": facts.recipients,
            "consents": facts.consents,
            "outcomes": list(Outcome),
            "local": local,
            "rating_questions": RATING_QUESTIONS if facts.rateable and not facts.rated else (),
            "rated": facts.rated,
            # After a connected call, hanging up lands here with "held by video" chosen.
            "preselect": "video" if request.query.get("connected") == "1" else None,
            "third": third.person,
            "third_agreed": third.agreed,
            "third_link": invitation_link(request, session, third.person.id)
            if third.person and third.agreed and session.joinable
            else None,
            "third_roles": [r.value for r in ThirdRole],
        },
        status=status,
    )
    return page
