"""The attempt log at the HTTP edge: call pages report connection events; the caseworker reads the log."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application.attempts import attempt_log, report_event, unsupported_browser
from rooms.attempts import assess, parse_event
from web.bodies import read_json
from web.keys import DB, NOTIFIER
from web.views.attempt_labels import event_label, failure_label, step_label
from web.views.common import local, now, require_role
from web.views.participants import SID, cookie_of

__all__ = ["routes"]

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
    stored = await report_event(
        request.app[DB], request.app[NOTIFIER], session_id, caseworker_id, cookie, kind, detail, now(request)
    )
    if stored is None:
        raise web.HTTPForbidden()
    return web.json_response({"ok": stored})


@routes.get(rf"/api/attempts/{SID}/browser", name="peer_browser")
async def peer_browser(request: web.Request) -> web.StreamResponse:
    """For the caseworker's call page once its socket is up: whether the other side's
    browser cannot make video calls (``{"reason": class or null}``)."""
    account = require_role(request, "caseworker")
    reason = await unsupported_browser(request.app[DB], account.id, request.match_info["session_id"])
    return web.json_response({"reason": reason})


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
