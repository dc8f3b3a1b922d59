"""The pre-call device and connection check: the page, the echo peer's offer/answer, the verdict."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.months import month_of
from rooms.attempts import EventKind
from rooms.check import Measurement, Verdict, device_class, verdict_for
from rooms.errors import CheckNotFound
from storage import attempts, checks, sessions
from web.bodies import read_json
from web.cookies import PARTICIPANT_COOKIE, split_participant_cookie
from web.i18n import gettext as _
from web.keys import DB, ECHO
from web.views.common import ice_servers, now

__all__ = ["routes", "render_check", "verdict_texts"]

routes = web.RouteTableDef()

_SESSION_ID = re.compile(r"^[0-9a-f-]{36}$")
_MAX_SDP = 64 * 1024


def verdict_texts() -> dict[str, str]:
    """The verdicts in the language of the current request."""
    return {
        Verdict.VIDEO: _("Video will work."),
        Verdict.AUDIO_ONLY: _("Audio only is recommended."),
        Verdict.NOT_POSSIBLE: _("Video is not possible here."),
    }


def render_check(
    request: web.Request, session_id: str | None, fallback_url: str | None, copy_link: str | None = None
) -> web.StreamResponse:
    """The check page, standalone or for one invitation (then with the way to a fallback
    booking, the link to open in another browser and the attempt log)."""
    return aiohttp_jinja2.render_template(
        "check.html",
        request,
        {
            "session_id": session_id,
            "fallback_url": fallback_url,
            "copy_link": copy_link,
            "report_url": f"/api/attempts/{session_id}" if session_id else None,
            "verdict_texts": verdict_texts(),
            # The browser's side of the check may use the configured TURN as well.
            "ice_servers": json.dumps(ice_servers(request, "check")),
        },
    )


@routes.get("/check", name="check")
async def check_page(request: web.Request) -> web.StreamResponse:
    return render_check(request, None, None)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    body = await read_json(request)
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    return body


@routes.post("/api/check/offer", name="check_offer")
async def check_offer(request: web.Request) -> web.StreamResponse:
    """The browser's offer (ICE gathered, no trickle) → the echo peer's answer, or 503 + Retry-After."""
    body = await _json_body(request)
    sdp = body.get("sdp")
    if body.get("type") != "offer" or not isinstance(sdp, str) or not sdp or len(sdp) > _MAX_SDP:
        raise web.HTTPBadRequest()
    check_id, answer = await request.app[ECHO].start(sdp)
    return web.json_response({"check": check_id, "type": "answer", "sdp": answer})


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise web.HTTPBadRequest()
    return float(value)


async def _log_verdict(request: web.Request, db: AsyncSession, session_id: str, verdict: Verdict) -> None:
    """The verdict in the attempt log of the participant behind the cookie, if any."""
    cookie = split_participant_cookie(request.cookies.get(PARTICIPANT_COOKIE, ""))
    if cookie is None:
        return
    participant = await sessions.find_participant(db, *cookie)
    if participant is not None and participant.session_id == session_id:
        moment = now(request)
        await attempts.record(db, session_id, participant.id, participant.role, EventKind.CHECK, moment, str(verdict))


@routes.post("/api/check/result", name="check_result")
async def check_result(request: web.Request) -> web.StreamResponse:
    """What the browser measured → the verdict; closes the echo peer and keeps the verdict only."""
    body = await _json_body(request)
    check_id = body.get("check")
    if isinstance(check_id, str) and check_id:
        try:
            request.app[ECHO].finish(check_id)
        except CheckNotFound:
            pass  # already over (its deadline passed): the measurement still counts
    try:
        measurement = Measurement(
            connected=body.get("connected") is True,
            rtt_ms=_number(body, "rtt_ms"),
            loss_percent=_number(body, "loss_percent"),
            jitter_ms=_number(body, "jitter_ms"),
            bitrate_kbps=_number(body, "bitrate_kbps"),
        )
    except ValueError:
        raise web.HTTPBadRequest() from None
    verdict = verdict_for(measurement)
    session_id = body.get("session")
    group = None
    async with request.app[DB].begin() as db:
        if isinstance(session_id, str) and _SESSION_ID.match(session_id):
            group = (await sessions.get_session(db, session_id)).group.value
            await _log_verdict(request, db, session_id, verdict)
        device = device_class(request.headers.get("User-Agent", ""))
        await checks.record_verdict(db, device, verdict, group, month_of(now(request)))
    fallback = f"/s/{session_id}/fallback?reason=check_failed" if group else None
    return web.json_response({"verdict": str(verdict), "message": verdict_texts()[verdict], "fallback_url": fallback})
