"""The recipient's path: invitation link → landing → consent → waiting room → call."""

from __future__ import annotations

import json
import re
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consent import texts
from consent.records import ALL_SCOPES
from feedback.tokens import TOKEN_LIFETIME, looks_like_token
from rooms.errors import InvitationRevoked
from rooms.invitations import invitation_window
from rooms.session import Admission, CounselSession, SessionState
from storage import audit, consents, sessions
from storage import feedback as feedback_store
from storage.sessions import Participant
from web.cookies import LANG_COOKIE, PARTICIPANT_COOKIE, participant_cookie, split_participant_cookie
from web.i18n import current_language
from web.i18n import gettext as _
from web.keys import DB, POLICY, SETTINGS, SIGNALING, SIGNER
from web.views.check import render_check
from web.views.common import form_str, ice_servers, now, redirect
from web.views.feedback import session_context

__all__ = ["routes", "render_consent_text", "recipient_of", "recipient_page", "SID"]

routes = web.RouteTableDef()

SID = r"{session_id:[0-9a-f-]{36}}"
_LINK_COOKIE = "vb_feedback_link"


@routes.get("/join/{token}", name="join")
async def join(request: web.Request) -> web.StreamResponse:
    """Exchange the invitation token for a participant cookie and a token-free URL.

    The link belongs to one device: opened where its participant has no cookie, it asks
    whether to continue on this device (``continue_here``) and never makes a second one.
    """
    session = await _invited_session(request)
    moment = now(request)
    async with request.app[DB]() as db:
        existing = await _cookie_participant(request, db, session.id)
        holder = None if existing else await sessions.link_holder(db, session.id)
    if existing is not None:
        return _hand_over(request, session, None, None, moment)
    if holder is not None:
        return _other_device(request, session)
    try:
        async with request.app[DB].begin() as db:
            participant, secret = await sessions.add_participant(db, session.id, "recipient", moment, via_link=True)
    except IntegrityError:
        # Opened at the same moment on another device, which took the link (one per session).
        return _other_device(request, session)
    return _hand_over(request, session, participant.id, secret, moment)


@routes.post("/join/{token}")
async def continue_here(request: web.Request) -> web.StreamResponse:
    """Move the link's participant to this device; the other device is told and stops."""
    session = await _invited_session(request)
    moment = now(request)
    async with request.app[DB].begin() as db:
        holder = await sessions.link_holder(db, session.id)
        if holder is None:
            participant, secret = await sessions.add_participant(db, session.id, "recipient", moment, via_link=True)
            participant_id = participant.id
        else:
            participant_id = holder.id
            secret = await sessions.move_participant(db, participant_id, moment)
            await audit.audit(db, "participant.moved", moment, "role=recipient")
    if holder is not None:
        await request.app[SIGNALING].participant_moved(session.id, participant_id, session.caseworker_id)
    return _hand_over(request, session, participant_id, secret, moment)


async def _invited_session(request: web.Request) -> CounselSession:
    invitation = request.app[SIGNER].verify(request.match_info["token"])
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, invitation.session_id)
    if invitation.jti != session.invitation_jti:
        raise InvitationRevoked(session.id)
    session.ensure_joinable()
    return session


def _other_device(request: web.Request, session: CounselSession) -> web.StreamResponse:
    return aiohttp_jinja2.render_template(
        "recipient/other_device.html", request, {"session": session, "action": request.path}, status=409
    )


def _hand_over(
    request: web.Request, session: CounselSession, participant_id: str | None, secret: str | None, moment: datetime
) -> web.StreamResponse:
    """Redirect to the token-free URL, with the participant cookie when one was made."""
    response = web.HTTPSeeOther(f"/s/{session.id}")
    if LANG_COOKIE not in request.cookies and "lang" not in request.query:
        # The caseworker chose the invitation's language; the person can still switch.
        response.set_cookie(LANG_COOKIE, session.language, max_age=365 * 86400, samesite="Lax", httponly=True)
    if participant_id is not None and secret is not None:
        _, expires = invitation_window(session.created_at, session.scheduled_at)
        response.set_cookie(
            PARTICIPANT_COOKIE,
            participant_cookie(participant_id, secret),
            httponly=True,
            samesite="Lax",
            secure=request.app[SETTINGS].secure_cookies,
            path="/",
            max_age=max(60, int((expires - moment).total_seconds()) + 3600),
        )
    raise response


async def _cookie_participant(request: web.Request, db: AsyncSession, session_id: str) -> Participant | None:
    cookie = split_participant_cookie(request.cookies.get(PARTICIPANT_COOKIE, ""))
    if cookie is None:
        return None
    participant = await sessions.find_participant(db, *cookie)
    if participant is None or participant.session_id != session_id:
        return None
    return participant


async def recipient_of(request: web.Request) -> tuple[CounselSession, Participant, bool]:
    """The session, the participant behind the cookie, and whether consent is current."""
    session_id = request.match_info["session_id"]
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, session_id)
        participant = await _cookie_participant(request, db, session_id)
        if participant is None:
            raise web.HTTPForbidden()
        consent = await consents.current_consent(db, participant.id)
    return session, participant, consent is not None


def recipient_page(
    request: web.Request, template: str, session: CounselSession, **context: object
) -> web.StreamResponse:
    status = context.pop("status", 200)
    context.setdefault("fallback_url", f"/s/{session.id}/fallback")
    return aiohttp_jinja2.render_template(
        template,
        request,
        {"session": session, **context},
        status=int(status),  # type: ignore[call-overload]
    )


@routes.get(rf"/s/{SID}", name="landing")
async def landing(request: web.Request) -> web.StreamResponse:
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    return recipient_page(request, "recipient/landing.html", session, consented=consented)


@routes.get(rf"/s/{SID}/check", name="recipient_check")
async def device_check(request: web.Request) -> web.StreamResponse:
    """The device and connection check from the invitation, before consent and waiting room."""
    session, _participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    return render_check(request, session.id, f"/s/{session.id}/fallback?reason=check_failed")


_HEADING = re.compile(r"^## (.+)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render_consent_text(body: str) -> Markup:
    """The consent file's small Markdown subset (## headings, **bold**, paragraphs) as HTML."""
    html = []
    for block in body.strip().split("\n\n"):
        block = block.strip()
        heading = _HEADING.match(block)
        if heading:
            html.append(Markup("<h2>{}</h2>").format(heading.group(1)))
            continue
        escaped = str(escape(block))
        html.append(Markup("<p>" + _BOLD.sub(r"<strong>\1</strong>", escaped) + "</p>"))
    return Markup("\n").join(html)


def _shown(request: web.Request, text: texts.ConsentText) -> texts.ConsentText:
    """The text as the person sees it: retention figures filled in from the policy."""
    return text.filled(request.app[POLICY].facts())


@routes.get(rf"/s/{SID}/consent", name="consent")
async def consent_form(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    text = _shown(request, texts.current_text(current_language()))
    return recipient_page(
        request, "recipient/consent.html", session, text=text, body=render_consent_text(text.body), error=None
    )


@routes.post(rf"/s/{SID}/consent")
async def consent_submit(request: web.Request) -> web.StreamResponse:
    session, participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    form = await request.post()
    if form_str(form, "action") == "decline":
        redirect(f"/s/{session.id}/no-consent")
    language = form_str(form, "language", 8)
    version = form_str(form, "version", 32)
    text = _shown(request, texts.current_text(language if language in texts.LANGUAGES else "de"))
    if form.get("agree") != "yes" or version != text.version or language != text.language:
        shown = _shown(request, texts.current_text(current_language()))
        message = (
            _("Please tick the box to confirm your consent.")
            if form.get("agree") != "yes"
            else _("The consent text has changed. Please read it again.")
        )
        return recipient_page(
            request,
            "recipient/consent.html",
            session,
            text=shown,
            body=render_consent_text(shown.body),
            error=message,
            status=400,
        )
    async with request.app[DB].begin() as db:
        if await consents.current_consent(db, participant.id) is None:
            await consents.record_consent(
                db,
                participant_id=participant.id,
                session_id=session.id,
                role="recipient",
                now=now(request),
                text_version=text.version,
                text_sha256=text.sha256,
                language=text.language,
                scopes=ALL_SCOPES,
            )
    redirect(f"/s/{session.id}/wait")


@routes.get(rf"/s/{SID}/no-consent", name="no_consent")
async def no_consent(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    return recipient_page(request, "recipient/no_consent.html", session)


@routes.get(rf"/s/{SID}/wait", name="wait")
async def waiting_room(request: web.Request) -> web.StreamResponse:
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    if not consented:
        redirect(f"/s/{session.id}/consent")
    if participant.admission is Admission.ADMITTED:
        redirect(f"/s/{session.id}/call")
    if participant.admission is Admission.DECLINED:
        redirect(f"/s/{session.id}/declined")
    patience = int(request.app[SETTINGS].waiting_patience_seconds)
    return recipient_page(request, "recipient/wait.html", session, patience_seconds=patience)


@routes.get(rf"/s/{SID}/call", name="recipient_call")
async def call(request: web.Request) -> web.StreamResponse:
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    if not consented:
        redirect(f"/s/{session.id}/consent")
    if participant.admission is not Admission.ADMITTED:
        redirect(f"/s/{session.id}/wait")
    return recipient_page(
        request,
        "call.html",
        session,
        role="recipient",
        ended_url=f"/s/{session.id}/ended",
        ice_servers=json.dumps(ice_servers(request, participant.id)),
    )


@routes.get(rf"/s/{SID}/moved", name="moved")
async def moved(request: web.Request) -> web.StreamResponse:
    """Where a page goes whose link was continued on another device (its cookie is void)."""
    return aiohttp_jinja2.render_template("recipient/moved.html", request, {})


@routes.get(rf"/s/{SID}/declined", name="declined")
async def declined(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    return recipient_page(request, "recipient/declined.html", session)


@routes.get(rf"/s/{SID}/ended", name="ended")
async def ended(request: web.Request) -> web.StreamResponse:
    """The end of the call, with the one feedback link this participant will ever get."""
    session, participant, _consented = await recipient_of(request)
    context = session_context(session) if session.state is SessionState.ENDED else None
    token = None
    if context is not None and participant.admission is Admission.ADMITTED:
        # Minted lazily, once per participant; the plaintext lives only in the link and in
        # a cookie scoped to this page, so a reload shows the same link again.
        remembered = request.cookies.get(_LINK_COOKIE, "")
        async with request.app[DB].begin() as db:
            token = await feedback_store.offer_token(db, participant.id, context, now(request))
        if token is None and looks_like_token(remembered):
            token = remembered
    response = recipient_page(
        request,
        "recipient/ended.html",
        session,
        feedback_url=f"/feedback/t/{token}" if token else None,
    )
    if token:
        response.set_cookie(
            _LINK_COOKIE,
            token,
            httponly=True,
            samesite="Lax",
            secure=request.app[SETTINGS].secure_cookies,
            path=f"/s/{session.id}/ended",
            max_age=int(TOKEN_LIFETIME.total_seconds()),
        )
    return response


@routes.get("/consent/{language:[a-z]{2}}/{version:[0-9]{1,6}}.txt", name="consent_text")
async def consent_text(request: web.Request) -> web.StreamResponse:
    """The exact bytes of a consent text (as filled under the current policy), so anyone
    can check a stored SHA-256."""
    text = texts.text_by_version(request.match_info["language"], request.match_info["version"])
    text = _shown(request, text)
    return web.Response(text=text.body, content_type="text/plain", charset="utf-8")
