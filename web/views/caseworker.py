"""The caseworker's pages: dashboard, new session, invitation link, call, outcome."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from feedback.questionnaire import RATING_QUESTIONS
from rooms.session import BenefitGroup, CounselSession, Outcome
from storage import bookings, consents, sessions
from storage import feedback as feedback_store
from storage.availability import office_info
from storage.users import Account
from web.errors import FormError
from web.i18n import LANGUAGES, language_info
from web.i18n import gettext as _
from web.keys import DB, NOTIFIER, SIGNER
from web.views.common import BERLIN, form_str, ice_servers, invitation_link, local, now, redirect, require_role
from web.views.feedback import session_context
from web.views.invitation_delivery import invitation_context
from web.views.third import third_context

__all__ = ["routes"]

routes = web.RouteTableDef()

LANGUAGE_CHOICES = {code: language_info(code).name for code in LANGUAGES}


def _day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    day = moment.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    return day, (day + timedelta(days=1)).replace(hour=0)


async def _render_dashboard(
    request: web.Request, account: Account, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    since, until = _day_bounds(now(request))
    async with request.app[DB]() as db:
        todays = await sessions.sessions_of_caseworker(db, account.id, since, until)
        appointments = await bookings.upcoming_of(db, account.id)
        office_address = (await office_info(db, account.office_id)).address
    return aiohttp_jinja2.render_template(
        "dashboard.html",
        request,
        {
            "sessions": todays,
            "appointments": appointments,
            "office_address": office_address,
            "error": error,
            "languages": LANGUAGE_CHOICES,
            "form": request.get("form_values", {}),
            "local": local,
        },
        status=status,
    )


@routes.get("/dashboard", name="dashboard")
async def dashboard(request: web.Request) -> web.StreamResponse:
    return await _render_dashboard(request, require_role(request, "caseworker"))


def _parse_new_session(form: Any, moment: datetime) -> tuple[BenefitGroup, datetime | None, str]:
    try:
        group = BenefitGroup(form_str(form, "group"))
    except ValueError:
        raise FormError(_("Please choose the group: SGB II or SGB III.")) from None
    language = form_str(form, "language") or "de"
    if language not in LANGUAGE_CHOICES:
        raise FormError(_("Please choose a language from the list."))
    raw_time = form_str(form, "scheduled_at")
    scheduled = None
    if raw_time:
        try:
            scheduled = datetime.fromisoformat(raw_time).replace(tzinfo=BERLIN)
        except ValueError:
            raise FormError(_("The time is not valid. Use the format DD.MM.YYYY HH:MM.")) from None
        if scheduled < moment - timedelta(minutes=5):
            raise FormError(_("The time lies in the past."))
        if scheduled > moment + timedelta(days=366):
            raise FormError(_("The time lies more than a year ahead."))
    return group, scheduled, language


@routes.post("/sessions")
async def create_session(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    form = await request.post()
    moment = now(request)
    try:
        group, scheduled, language = _parse_new_session(form, moment)
    except FormError as exc:
        request["form_values"] = {k: form_str(form, k) for k in ("group", "scheduled_at", "language")}
        return await _render_dashboard(request, account, exc.message, exc.status)
    session = CounselSession(
        id=str(uuid.uuid4()),
        caseworker_id=account.id,
        group=group,
        language=language,
        invitation_jti=request.app[SIGNER].new_jti(),
        created_at=moment,
        office_id=account.office_id,
        scheduled_at=scheduled,
    )
    async with request.app[DB].begin() as db:
        await sessions.add_session(db, session)
        # Made now, so the call page's connect only reads (signalling never writes here).
        await sessions.add_participant(db, session.id, "caseworker", moment)
    redirect(f"/sessions/{session.id}")


async def _own_session(request: web.Request, account: Account) -> CounselSession:
    session_id = request.match_info["session_id"]
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, session_id)
    if session.caseworker_id != account.id:
        raise web.HTTPNotFound()
    return session


@routes.get(r"/sessions/{session_id:[0-9a-f-]{36}}", name="session")
@routes.get(r"/sessions/{session_id:[0-9a-f-]{36}}/outcome")
async def session_detail(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    session = await _own_session(request, account)
    async with request.app[DB]() as db:
        participants = await sessions.participants_of(db, session.id)
        consent_by_participant = await consents.consents_of_session(db, session.id)
        rateable = session_context(session) is not None
        rated = rateable and await feedback_store.was_rated(db, session.id)
        third_person = await third_context(request, db, session)
    page = aiohttp_jinja2.render_template(
        "session.html",
        request,
        {
            "session": session,
            "link": invitation_link(request, session) if session.joinable else None,
            **(await invitation_context(request, session) if session.joinable else {}),
            "participants": [p for p in participants if p.role == "recipient"],
            "consents": consent_by_participant,
            "outcomes": list(Outcome),
            "local": local,
            "rating_questions": RATING_QUESTIONS if rateable and not rated else (),
            "rated": rated,
            # After a connected call, hanging up lands here with "held by video" chosen.
            "preselect": "video" if request.query.get("connected") == "1" else None,
            **third_person,
        },
    )
    return page


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/revoke")
async def revoke_link(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    async with request.app[DB].begin() as db:
        session = await sessions.get_session(db, session_id, for_update=True)
        if session.caseworker_id != account.id:
            raise web.HTTPNotFound()
        session.rotate_invitation(request.app[SIGNER].new_jti())
        await sessions.save_session(db, session)
    redirect(f"/sessions/{session_id}?revoked=1")


@routes.get(r"/sessions/{session_id:[0-9a-f-]{36}}/call", name="caseworker_call")
async def caseworker_call(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    session = await _own_session(request, account)
    session.ensure_joinable()
    page = aiohttp_jinja2.render_template(
        "call.html",
        request,
        {
            "session": session,
            "role": "caseworker",
            "ended_url": f"/sessions/{session.id}/outcome",
            "fallback_url": f"/sessions/{session.id}/outcome",
            # A random pseudonym: coturn's logs must not name the caseworker.
            "ice_servers": json.dumps(ice_servers(request, secrets.token_hex(8))),
        },
    )
    return page


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/outcome")
async def record_outcome(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    form = await request.post()
    try:
        outcome = Outcome(form_str(form, "outcome"))
    except ValueError:
        raise web.HTTPBadRequest() from None
    async with request.app[DB].begin() as db:
        session = await sessions.get_session(db, session_id, for_update=True)
        if session.caseworker_id != account.id:
            raise web.HTTPNotFound()
        session.end(outcome, now(request))
        await sessions.save_session(db, session)
    await request.app[NOTIFIER].session_ended(session_id, outcome)
    if session_context(session) is not None:
        redirect(f"/sessions/{session_id}?ended=1#rating")  # the short rating comes next
    redirect("/dashboard?ended=1")
