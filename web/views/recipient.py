"""The recipient's path: invitation link → landing → consent → waiting room → call."""

from __future__ import annotations

import json
import re
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_timedelta
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from consent import texts
from consent.records import ALL_SCOPES
from feedback.tokens import TOKEN_LIFETIME, looks_like_token
from rooms import waiting_estimate
from rooms.attempts import EventKind
from rooms.errors import InvitationRevoked, WrongInvitation
from rooms.invitations import Invitation
from rooms.session import Admission, CounselSession, SessionState
from storage import audit, consents, sessions
from storage import feedback as feedback_store
from storage.sessions import Participant
from web.cookies import LANG_COOKIE, PARTICIPANT_COOKIE, split_participant_cookie
from web.i18n import babel_locale, current_language
from web.i18n import gettext as _
from web.keys import DB, NOTIFIER, POLICY, SETTINGS, SIGNER
from web.views.attempts import log_event, proof_url
from web.views.check import render_check
from web.views.common import form_str, ice_servers, invitation_link, now, redirect
from web.views.feedback import session_context
from web.views.third import join_third, pending_third_role, set_participant_cookie

__all__ = [
    "routes",
    "render_consent_text",
    "recipient_of",
    "recipient_page",
    "SID",
    "exchange_invitation",
    "continue_on_this_device",
]

routes = web.RouteTableDef()

SID = r"{session_id:[0-9a-f-]{36}}"
_LINK_COOKIE = "vb_feedback_link"


@routes.get("/join/{token}", name="join")
async def join(request: web.Request) -> web.StreamResponse:
    """Exchange the invitation token for a participant cookie and a token-free URL."""
    return await exchange_invitation(request, request.app[SIGNER].verify(request.match_info["token"]))


@routes.post("/join/{token}")
async def continue_here(request: web.Request) -> web.StreamResponse:
    """Move the link's participant to this device; the other device is told and stops."""
    return await continue_on_this_device(request, request.app[SIGNER].verify(request.match_info["token"]))


async def exchange_invitation(request: web.Request, invitation: Invitation) -> web.StreamResponse:
    """A verified invitation (JWT or short code) → participant cookie and a token-free URL.

    The recipient's link belongs to one device: opened where its participant has no
    cookie, it asks whether to continue on this device (``continue_on_this_device``) and
    never makes a second participant. A third person's link (its own jti) goes to
    ``join_third``.
    """
    session = await _invited_session(request, invitation)
    moment = now(request)
    if invitation.jti != session.invitation_jti:
        async with request.app[DB].begin() as db:
            existing = await _cookie_participant(request, db, session.id)
            # A third person's own link (or a revoked one: join_third refuses it).
            third_person, secret = await join_third(request, db, invitation, session, existing)
            await log_event(db, third_person, EventKind.LINK_OPENED, moment)
        return _hand_over(request, session, third_person.id, secret, moment)
    async with request.app[DB]() as db:
        existing = await _cookie_participant(request, db, session.id)
        holder = None if existing else await sessions.link_holder(db, session.id)
    if existing is not None:
        if existing.role != "recipient":
            raise WrongInvitation(session.id)  # the third person opened the recipient's link
        async with request.app[DB].begin() as db:
            await log_event(db, existing, EventKind.LINK_OPENED, moment)
        return _hand_over(request, session, None, None, moment)
    if holder is not None:
        return _other_device(request, session)
    try:
        async with request.app[DB].begin() as db:
            participant, secret = await sessions.add_participant(db, session.id, "recipient", moment, via_link=True)
            await log_event(db, participant, EventKind.LINK_OPENED, moment)
    except IntegrityError:
        # Opened at the same moment on another device, which took the link (one per session).
        return _other_device(request, session)
    return _hand_over(request, session, participant.id, secret, moment)


async def continue_on_this_device(request: web.Request, invitation: Invitation) -> web.StreamResponse:
    """Move the link's participant to this device; the other device is told and stops."""
    session = await _invited_session(request, invitation)
    if invitation.jti != session.invitation_jti:
        raise InvitationRevoked("withdrawn", session_id=session.id)  # only the recipient's link moves between devices
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
        await request.app[NOTIFIER].participant_moved(session.id, participant_id, session.caseworker_id)
    return _hand_over(request, session, participant_id, secret, moment)


async def _invited_session(request: web.Request, invitation: Invitation) -> CounselSession:
    """The invitation's session, joinable; whose link it is, the caller decides."""
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, invitation.session_id)
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
        set_participant_cookie(request, response, session, participant_id, secret, moment)
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
    return recipient_page(
        request,
        "recipient/landing.html",
        session,
        consented=consented,
        copy_link=_own_link(request, session, participant),
        report_url=f"/api/attempts/{session.id}",
    )


def _own_link(request: web.Request, session: CounselSession, participant: Participant) -> str | None:
    """The link to open in another browser: the recipient's invitation (a third person's
    own link is not kept; their page falls back to its own address)."""
    return invitation_link(request, session) if participant.role == "recipient" else None


@routes.get(rf"/s/{SID}/check", name="recipient_check")
async def device_check(request: web.Request) -> web.StreamResponse:
    """The device and connection check from the invitation, before consent and waiting room."""
    session, participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    return render_check(
        request, session.id, f"/s/{session.id}/fallback?reason=check_failed", _own_link(request, session, participant)
    )


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
        # A single line break is kept: Leichte Sprache puts one sentence on each line.
        escaped = str(escape(block)).replace("\n", "<br>\n")
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
    if form.get("switch_language"):
        # The language switcher: the text in the new language, the tick kept, nothing recorded.
        shown = _shown(request, texts.current_text(current_language()))
        return recipient_page(
            request,
            "recipient/consent.html",
            session,
            text=shown,
            body=render_consent_text(shown.body),
            error=None,
            agreed=form.get("agree") == "yes",
        )
    if form_str(form, "action") == "decline":
        redirect(f"/s/{session.id}/no-consent")
    language = form_str(form, "language", 8)
    version = form_str(form, "version", 32)
    text = _shown(request, texts.current_text(language if language in texts.languages() else "de"))
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
                role=participant.role,
                now=now(request),
                text_version=text.version,
                text_sha256=text.sha256,
                language=text.language,
                scopes=ALL_SCOPES,
            )
            await log_event(db, participant, EventKind.CONSENT, now(request), "given")
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
    async with request.app[DB].begin() as db:
        await log_event(db, participant, EventKind.WAITING, now(request))
    patience = int(request.app[SETTINGS].waiting_patience_seconds)
    async with request.app[DB]() as db:
        ends = await sessions.recent_ends(db, session.caseworker_id, now(request) - waiting_estimate.HISTORY)
    pace = waiting_estimate.minutes_per_person(ends)
    page = recipient_page(
        request,
        "recipient/wait.html",
        session,
        patience_seconds=patience,
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
    session, participant, consented = await recipient_of(request)
    session.ensure_joinable()
    if not consented:
        redirect(f"/s/{session.id}/consent")
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
        third_asked=await _third_asked(request, session.id, participant),
        copy_link=_own_link(request, session, participant),
        report_url=f"/api/attempts/{session.id}",
    )
    return page


@routes.get(rf"/s/{SID}/moved", name="moved")
async def moved(request: web.Request) -> web.StreamResponse:
    """Where a page goes whose link was continued on another device (its cookie is void)."""
    return aiohttp_jinja2.render_template("recipient/moved.html", request, {})


async def _third_asked(request: web.Request, session_id: str, participant: Participant) -> str:
    """The third person's role when the recipient has yet to agree or refuse, else ""."""
    if participant.role != "recipient":
        return ""
    async with request.app[DB]() as db:
        return await pending_third_role(db, session_id)


@routes.get(rf"/s/{SID}/declined", name="declined")
async def declined(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    return recipient_page(request, "recipient/declined.html", session)


async def _feedback_token(request: web.Request, session: CounselSession, participant: Participant) -> str | None:
    """The participant's one feedback token, minted once the session is settled on a channel."""
    context = session_context(session) if session.state is SessionState.ENDED else None
    if context is None or participant.admission is not Admission.ADMITTED:
        return None
    # Minted lazily, once per participant; the plaintext lives only in the link and in a
    # cookie scoped to this page, so a reload shows the same link again.
    remembered = request.cookies.get(_LINK_COOKIE, "")
    async with request.app[DB].begin() as db:
        token = await feedback_store.offer_token(db, participant.id, context, now(request))
    if token is None and looks_like_token(remembered):
        token = remembered
    return token


def _remember_link(request: web.Request, response: web.StreamResponse, session_id: str, token: str | None) -> None:
    if token:
        response.set_cookie(
            _LINK_COOKIE,
            token,
            httponly=True,
            samesite="Lax",
            secure=request.app[SETTINGS].secure_cookies,
            path=f"/s/{session_id}/ended",
            max_age=int(TOKEN_LIFETIME.total_seconds()),
        )


@routes.get(rf"/s/{SID}/ended", name="ended")
async def ended(request: web.Request) -> web.StreamResponse:
    """The end of the call, with the one feedback link this participant will ever get.

    Whoever hung up first: while the outcome is still open the page waits for
    ``session.ended`` on the socket and then fetches the link (``ended_link``)."""
    session, participant, _consented = await recipient_of(request)
    token = await _feedback_token(request, session, participant)
    pending = session.state is not SessionState.ENDED and participant.admission is Admission.ADMITTED
    response = recipient_page(
        request,
        "recipient/ended.html",
        session,
        feedback_url=f"/feedback/t/{token}" if token else None,
        pending=pending,
        proof_url=await proof_url(request, session.id, participant.id),
    )
    _remember_link(request, response, session.id, token)
    return response


@routes.get(rf"/s/{SID}/ended/link", name="ended_link")
async def ended_link(request: web.Request) -> web.StreamResponse:
    """The feedback link as JSON for the open end page, once the session is settled."""
    session, participant, _consented = await recipient_of(request)
    token = await _feedback_token(request, session, participant)
    response = web.json_response(
        {"settled": session.state is SessionState.ENDED, "url": f"/feedback/t/{token}" if token else None}
    )
    _remember_link(request, response, session.id, token)
    return response


@routes.get("/consent/{language:" + texts.LANGUAGE_PATTERN + "}/{version:[0-9]{1,6}}.txt", name="consent_text")
async def consent_text(request: web.Request) -> web.StreamResponse:
    """The exact bytes of a consent text (as filled under the current policy), so anyone
    can check a stored SHA-256."""
    text = texts.text_by_version(request.match_info["language"], request.match_info["version"])
    text = _shown(request, text)
    return web.Response(text=text.body, content_type="text/plain", charset="utf-8")
