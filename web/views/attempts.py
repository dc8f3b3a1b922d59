"""The attempt log at the HTTP edge: call pages report connection events; the caseworker reads the log."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.attempts import AttemptEvent, EventKind, Step, assess, parse_event, split_peer
from storage import attempts, sessions
from storage.sessions import Participant
from web.bodies import read_json
from web.cookies import PARTICIPANT_COOKIE, split_participant_cookie
from web.i18n import gettext as _
from web.keys import DB
from web.views.common import local, now, require_role

__all__ = ["routes", "proof_url", "log_event", "event_label", "step_label", "failure_label"]

routes = web.RouteTableDef()

SID = r"{session_id:[0-9a-f-]{36}}"


async def log_event(db: AsyncSession, participant: Participant, kind: EventKind, at: Any, detail: str = "") -> bool:
    """Record a step (link opened, consent, waiting, admitted, proof issued) or a reported event."""
    return await attempts.record(db, participant.session_id, participant.id, participant.role, kind, at, detail)


async def _reporter(request: web.Request, db: AsyncSession, session_id: str) -> Participant:
    """Who reports: the participant behind the cookie, or the caseworker of the session."""
    account = request.get("account")
    if account is not None and account.role == "caseworker":
        session = await sessions.get_session(db, session_id)
        if session.caseworker_id == account.id:
            for participant in await sessions.participants_of(db, session_id):
                if participant.role == "caseworker":
                    return participant
    cookie = split_participant_cookie(request.cookies.get(PARTICIPANT_COOKIE, ""))
    if cookie is not None:
        found = await sessions.find_participant(db, *cookie)
        if found is not None and found.session_id == session_id:
            return found
    raise web.HTTPForbidden()


@routes.post(rf"/api/attempts/{SID}", name="attempt_event")
async def report_event(request: web.Request) -> web.StreamResponse:
    """A call page's connection event: ``{"kind": …, "detail": …}`` from the closed vocabulary."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    body = await read_json(request)  # malformed, too deep or lone surrogates: 400
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    kind, detail = parse_event(body.get("kind"), body.get("detail", ""))
    async with request.app[DB].begin() as db:
        participant = await _reporter(request, db, request.match_info["session_id"])
        stored = await log_event(db, participant, kind, now(request), detail)
    return web.json_response({"ok": stored})


async def proof_url(request: web.Request, session_id: str, participant_id: str) -> str | None:
    """Where the participant gets the proof of the attempt, when it failed; else None."""
    async with request.app[DB]() as db:
        own = [e for _pid, e in await attempts.events_of(db, session_id, participant_id)]
    return f"/s/{session_id}/proof" if assess(own).failed else None


def step_label(step: Step | str) -> str:
    return {
        Step.LINK_OPENED: _("Invitation link opened"),
        Step.CONSENT: _("Consent given"),
        Step.CHECK: _("Device and connection check done"),
        Step.WAITING: _("Waited in the waiting room"),
        Step.ADMITTED: _("Admitted to the call"),
        Step.CONNECTING: _("Video connection tried"),
        Step.CONNECTED: _("Video connection established"),
    }[Step(step)]


def failure_label(failure: str) -> str:
    return {
        "no_connection": _("No video connection could be established."),
        "media_unavailable": _("Camera or microphone could not be used."),
        "dropped": _("The video connection broke off and could not be re-established."),
    }[failure]


def _role_label(role: str) -> str:
    return {
        "caseworker": _("caseworker"),
        "recipient": _("recipient"),
        "interpreter": _("interpreter"),
        "companion": _("companion"),
    }.get(role, role)


def event_label(event: AttemptEvent) -> str:
    """One log line in the page language; details stay the closed-vocabulary codes."""
    kind = event.kind
    value, peer = split_peer(event.detail)
    link = f" ({_role_label(peer)})" if peer else ""
    if kind is EventKind.CONNECTION:
        return _("Connection state: {state}").format(state=value) + link
    if kind is EventKind.ICE_GATHERED:
        return _("Network paths found: {types}").format(types=value) + link
    if kind is EventKind.ICE_ERROR:
        return _("Network path error, code {code}").format(code=value) + link
    if kind is EventKind.TURN:
        return _("Relay server (TURN): {state}").format(state=value) + link
    if kind is EventKind.MEDIA_ERROR:
        return _("Camera/microphone error: {kind}").format(kind=value)
    if kind is EventKind.CHECK:
        return _("Device and connection check: {verdict}").format(verdict=value)
    if kind is EventKind.PROOF_ISSUED:
        return _("Proof of the attempt issued")
    if kind is EventKind.CONSENT:
        return _("Consent given")
    return step_label(kind.value)


@routes.get(rf"/sessions/{SID}/attempts", name="attempt_log")
async def attempt_log(request: web.Request) -> web.StreamResponse:
    """The caseworker's view of the session's attempt log, per participant."""
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, session_id)
        if session.caseworker_id != account.id:
            raise web.HTTPNotFound()
        participants = await sessions.participants_of(db, session_id)
        events = await attempts.events_of(db, session_id)
    people = []
    for number, participant in enumerate(participants, start=1):
        own = [e for pid, e in events if pid == participant.id]
        people.append(
            {
                "number": number,
                "role": participant.role,
                "events": [(local(e.at), event_label(e)) for e in own],
                "assessment": assess(own),
            }
        )
    return aiohttp_jinja2.render_template(
        "attempts.html",
        request,
        {"session": session, "people": people, "step_label": step_label, "failure_label": failure_label},
    )
