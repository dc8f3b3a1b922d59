"""Error pages that know who is looking.

Staff (logged in) get the way back to their start page. Everybody else is treated as a
recipient: never a link to the staff login, always the phone or in-person way out, with
the office's phone and address when the page belongs to a known session; an invitation
opened too early names the appointment's time (Berlin) and links the device check.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from application.error_pages import session_facts
from rooms.errors import InvitationError, InvitationNotYetValid, RoomsError
from web.cookies import PARTICIPANT_COOKIE, split_participant_cookie
from web.keys import DB

__all__ = ["error_context"]

_SESSION_PATH = re.compile(r"^/s/([0-9a-f-]{36})(?:/|$)")


def _session_id(request: web.Request, exc: BaseException | None) -> str | None:
    if isinstance(exc, InvitationError) and exc.session_id:
        return exc.session_id
    match = _SESSION_PATH.match(request.path)
    if match:
        return match.group(1)
    return None


def _valid_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def error_context(request: web.Request, exc: BaseException | None) -> dict[str, Any]:
    """What error.html needs besides status and title; never raises."""
    context: dict[str, Any] = {
        "staff": request.get("account") is not None,
        "office": None,
        "starts_at": None,
        "session_fallback": None,
        "early": isinstance(exc, InvitationNotYetValid),
    }
    if context["staff"]:
        return context
    session_id = _session_id(request, exc)
    if session_id is None or not _valid_uuid(session_id) or DB not in request.app:
        return context
    try:
        cookie = split_participant_cookie(request.cookies.get(PARTICIPANT_COOKIE, ""))
        facts = await session_facts(request.app[DB], session_id, cookie)
        context["starts_at"] = facts.scheduled_at if context["early"] else None
        context["office"] = facts.office
        if facts.own_participant:
            context["session_fallback"] = f"/s/{session_id}/fallback"
    except (RoomsError, OSError, ValueError):
        pass  # an error page never fails for want of its extras
    return context
