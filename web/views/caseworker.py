"""The caseworker's pages: dashboard, new session, invitation link, call, outcome."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from application import calls, sessions
from application.attempts import unsupported_browser
from application.login import Account
from rooms.session import BenefitGroup, CounselSession, Outcome
from web.errors import FormError
from web.i18n import LANGUAGES, language_info
from web.i18n import gettext as _
from web.keys import DB, NOTIFIER, SIGNER
from web.views.common import BERLIN, form_str, ice_servers, local, now, redirect, require_role
from web.views.session_page import render_session_page

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
    board = await sessions.dashboard(request.app[DB], account.id, account.office_id, since, until)
    return aiohttp_jinja2.render_template(
        "dashboard.html",
        request,
        {
            "sessions": board.sessions,
            "appointments": board.appointments,
            "office_address": board.office_address,
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
    new = sessions.NewSession(account.id, account.office_id, group, language, scheduled)
    session = await sessions.create_session(request.app[DB], new, request.app[SIGNER].new_jti(), moment)
    redirect(f"/sessions/{session.id}")


async def _own_session(request: web.Request, account: Account) -> CounselSession:
    session = await sessions.own_session(request.app[DB], account.id, request.match_info["session_id"])
    if session is None:
        raise web.HTTPNotFound()
    return session


@routes.get(r"/sessions/{session_id:[0-9a-f-]{36}}", name="session")
@routes.get(r"/sessions/{session_id:[0-9a-f-]{36}}/outcome")
async def session_detail(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    return await render_session_page(request, await _own_session(request, account))


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/revoke")
async def revoke_link(request: web.Request) -> web.StreamResponse:
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    if not await sessions.revoke_invitation(request.app[DB], account.id, session_id, request.app[SIGNER].new_jti()):
        raise web.HTTPNotFound()
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
            "peer_browser_url": f"/api/attempts/{session.id}/browser",
            # A random pseudonym: coturn's logs must not name the caseworker.
            "ice_servers": json.dumps(ice_servers(request, secrets.token_hex(8))),
            # Told before this page opened (else live: peer.unsupported).
            "peer_unsupported": await unsupported_browser(request.app[DB], account.id, session.id),
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
    session = await calls.record_outcome(
        request.app[DB], request.app[NOTIFIER], account.id, session_id, outcome, now(request)
    )
    if session is None:
        raise web.HTTPNotFound()
    if calls.rating_context(session) is not None:
        redirect(f"/sessions/{session_id}?ended=1#rating")  # the short rating comes next
    redirect("/dashboard?ended=1")
