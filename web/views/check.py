"""The pre-call device and connection check: the page, the echo peer's offer/answer, the verdict."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from application.checks import record_verdict
from rooms.check import Measurement, device_class, verdict_for
from rooms.errors import CheckNotFound
from web.bodies import read_json
from web.keys import DB, ECHO
from web.views.check_page import render_check, verdict_texts
from web.views.common import now
from web.views.participants import cookie_of

__all__ = ["routes"]

routes = web.RouteTableDef()

_SESSION_ID = re.compile(r"^[0-9a-f-]{36}$")
_MAX_SDP = 64 * 1024


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
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        session_id = None
    device = device_class(request.headers.get("User-Agent", ""))
    of_session = await record_verdict(request.app[DB], session_id, cookie_of(request), device, verdict, now(request))
    fallback = f"/s/{session_id}/fallback?reason=check_failed" if of_session else None
    return web.json_response({"verdict": str(verdict), "message": verdict_texts()[verdict], "fallback_url": fallback})
