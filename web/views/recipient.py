"""The recipient's path: invitation link → landing → (consent) → waiting room → call → end."""

from __future__ import annotations

import json
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_timedelta

from application.attempts import has_failed
from application.calls import feedback_token
from application.consenting import enter_waiting_room
from application.joining import Participant
from application.third import pending_role
from feedback.tokens import TOKEN_LIFETIME
from rooms import waiting_estimate
from rooms.session import Admission, CounselSession, SessionState
from web.cookie_setting import set_private_cookie
from web.i18n import babel_locale
from web.i18n import gettext as _
from web.keys import DB, SETTINGS, SIGNER
from web.views.check_page import render_check
from web.views.common import ice_servers, invitation_link, now, redirect
from web.views.participants import (
    SID,
    continue_on_this_device,
    exchange_invitation,
    recipient_of,
    recipient_page,
)

__all__ = ["routes", "recipient_of", "recipient_page", "SID"]

routes = web.RouteTableDef()

_LINK_COOKIE = "vb_feedback_link"


@routes.get("/join/{token}", name="join")
async def join(request: web.Request) -> web.StreamResponse:
    """Exchange the invitation token for a participant cookie and a token-free URL."""
    return await exchange_invitation(request, request.app[SIGNER].verify(request.match_info["token"]))


@routes.post("/join/{token}")
async def continue_here_view(request: web.Request) -> web.StreamResponse:
    """Move the link's participant to this device; the other device is told and stops."""
    return await continue_on_this_device(request, request.app[SIGNER].verify(request.match_info["token"]))


@routes.get(rf"/s/{SID}", name="landing")
async def landing(request: web.Request) -> web.StreamResponse:
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    return recipient_page(
        request,
        "recipient/landing.html",
        session,
        consented=consented,
        copy_link=_own_link(request, session, participant),
        report_url=f"/api/attempts/{session.id}",
    )


def _own_link(request: web.Request, session: CounselSession, participant: Participant) -> str:
    """The link to open in another browser: the person's own invitation link."""
    jti = session.invitation_jti if participant.role == "recipient" else participant.id
    return invitation_link(request, session, jti)


@routes.get(rf"/s/{SID}/check", name="recipient_check")
async def device_check(request: web.Request) -> web.StreamResponse:
    """The device and connection check from the invitation, before consent and waiting room."""
    session, participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    return render_check(
        request, session.id, f"/s/{session.id}/fallback?reason=check_failed", _own_link(request, session, participant)
    )


async def _consented_recipient(request: web.Request) -> tuple[CounselSession, Participant]:
    """The recipient of a joinable session who has consented; to the consent form otherwise."""
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    if not consented:
        redirect(f"/s/{session.id}/consent")
    return session, participant


@routes.get(rf"/s/{SID}/wait", name="wait")
async def waiting_room(request: web.Request) -> web.StreamResponse:
    session, participant = await _consented_recipient(request)
    if participant.admission is Admission.ADMITTED:
        redirect(f"/s/{session.id}/call")
    if participant.admission is Admission.DECLINED:
        redirect(f"/s/{session.id}/declined")
    pace = await enter_waiting_room(request.app[DB], participant, session.caseworker_id, now(request))
    page = recipient_page(
        request,
        "recipient/wait.html",
        session,
        patience_seconds=int(request.app[SETTINGS].waiting_patience_seconds),
        minutes_per_person=round(pace, 1),
        scheduled_at=session.scheduled_at.isoformat() if session.scheduled_at else "",
        estimate=_estimate_words(pace, now(request), session.scheduled_at),
    )
    return page


def _estimate_words(pace: float, moment: datetime, scheduled_at: datetime | None) -> str:
    """The expected wait in words for the first in line; the page updates it live."""
    minutes = waiting_estimate.expected_minutes(1, pace, moment, scheduled_at)
    if minutes < 1:
        return _("Expected waiting time: less than a minute.")
    words = format_timedelta(waiting_estimate.as_said(minutes), format="long", locale=babel_locale())
    if scheduled_at is not None and scheduled_at > moment and minutes >= pace / 2:
        return _("Your appointment starts in about {duration}.").format(duration=words)
    return _("Expected waiting time: about {duration}.").format(duration=words)


@routes.get(rf"/s/{SID}/call", name="recipient_call")
async def call(request: web.Request) -> web.StreamResponse:
    session, participant = await _consented_recipient(request)
    if participant.admission is not Admission.ADMITTED:
        redirect(f"/s/{session.id}/wait")
    page = recipient_page(
        request,
        "call.html",
        session,
        role="recipient",
        ended_url=f"/s/{session.id}/ended",
        ice_servers=json.dumps(ice_servers(request, participant.id)),
        self_role=participant.role,
        # The third person's role while the recipient has yet to agree or refuse, else "".
        third_asked=await pending_role(request.app[DB], session.id) if participant.role == "recipient" else "",
        copy_link=_own_link(request, session, participant),
        report_url=f"/api/attempts/{session.id}",
    )
    return page


@routes.get(rf"/s/{SID}/moved", name="moved")
async def moved(request: web.Request) -> web.StreamResponse:
    """Where a page goes whose link was continued on another device (its cookie is void)."""
    return aiohttp_jinja2.render_template("recipient/moved.html", request, {})


@routes.get(rf"/s/{SID}/declined", name="declined")
async def declined(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    return recipient_page(request, "recipient/declined.html", session)


async def _feedback_link(request: web.Request, session: CounselSession, participant: Participant) -> str | None:
    remembered = request.cookies.get(_LINK_COOKIE, "")
    return await feedback_token(request.app[DB], session, participant, remembered, now(request))


def _remember_link(request: web.Request, response: web.StreamResponse, session_id: str, token: str | None) -> None:
    if token:
        lifetime = int(TOKEN_LIFETIME.total_seconds())
        set_private_cookie(request, response, _LINK_COOKIE, token, path=f"/s/{session_id}/ended", max_age=lifetime)


@routes.get(rf"/s/{SID}/ended", name="ended")
async def ended(request: web.Request) -> web.StreamResponse:
    """The end of the call, with the one feedback link this participant will ever get.

    Whoever hung up first: while the outcome is still open the page waits for
    ``session.ended`` on the socket and then fetches the link (``ended_link``)."""
    session, participant, _consented = await recipient_of(request)
    token = await _feedback_link(request, session, participant)
    pending = session.state is not SessionState.ENDED and participant.admission is Admission.ADMITTED
    failed = await has_failed(request.app[DB], session.id, participant.id)
    response = recipient_page(
        request,
        "recipient/ended.html",
        session,
        feedback_url=f"/feedback/t/{token}" if token else None,
        pending=pending,
        proof_url=f"/s/{session.id}/proof" if failed else None,
    )
    _remember_link(request, response, session.id, token)
    return response


@routes.get(rf"/s/{SID}/ended/link", name="ended_link")
async def ended_link(request: web.Request) -> web.StreamResponse:
    """The feedback link as JSON for the open end page, once the session is settled."""
    session, participant, _consented = await recipient_of(request)
    token = await _feedback_link(request, session, participant)
    response = web.json_response(
        {"settled": session.state is SessionState.ENDED, "url": f"/feedback/t/{token}" if token else None}
    )
    _remember_link(request, response, session.id, token)
    return response
