"""The attempt log at the HTTP edge: call pages report connection events; the caseworker reads the log."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application.attempts import attempt_log, report_event
from rooms.attempts import AttemptEvent, EventKind, Step, assess, parse_event, split_peer
from web.bodies import read_json
from web.i18n import gettext as _
from web.keys import DB
from web.views.common import local, now, require_role
from web.views.participants import SID, cookie_of

__all__ = ["routes", "event_label", "step_label", "failure_label"]

routes = web.RouteTableDef()


@routes.post(rf"/api/attempts/{SID}", name="attempt_event")
async def report(request: web.Request) -> web.StreamResponse:
    """A call page's connection event: ``{"kind": …, "detail": …}`` from the closed vocabulary."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    body = await read_json(request)  # malformed, too deep or lone surrogates: 400
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    kind, detail = parse_event(body.get("kind"), body.get("detail", ""))
    account = request.get("account")
    caseworker_id = account.id if account is not None and account.role == "caseworker" else None
    session_id, cookie = request.match_info["session_id"], cookie_of(request)
    stored = await report_event(request.app[DB], session_id, caseworker_id, cookie, kind, detail, now(request))
    if stored is None:
        raise web.HTTPForbidden()
    return web.json_response({"ok": stored})


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
async def attempt_log_view(request: web.Request) -> web.StreamResponse:
    """The caseworker's view of the session's attempt log, per participant."""
    account = require_role(request, "caseworker")
    log = await attempt_log(request.app[DB], account.id, request.match_info["session_id"])
    if log is None:
        raise web.HTTPNotFound()
    people = [
        {
            "number": number,
            "role": role,
            "events": [(local(e.at), event_label(e)) for e in own],
            "assessment": assess(own),
        }
        for number, (role, own) in enumerate(log.people, start=1)
    ]
    return aiohttp_jinja2.render_template(
        "attempts.html",
        request,
        {"session": log.session, "people": people, "step_label": step_label, "failure_label": failure_label},
    )
