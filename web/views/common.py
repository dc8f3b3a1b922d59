"""Small helpers the views share: time zones, the current account, redirects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from aiohttp import web

from application.login import Account
from rooms.invitations import invitation_window
from rooms.session import CounselSession
from web.keys import SETTINGS, SIGNER, TURN

__all__ = [
    "BERLIN",
    "require_role",
    "redirect",
    "local",
    "now",
    "origin",
    "form_str",
    "ice_servers",
    "invitation_link",
]

BERLIN = ZoneInfo("Europe/Berlin")


def now(request: web.Request) -> datetime:
    return request.app[SETTINGS].clock()


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(BERLIN) if value else None


def redirect(location: str) -> NoReturn:
    raise web.HTTPSeeOther(location)


def require_role(request: web.Request, role: str) -> Account:
    account: Account | None = request["account"]
    if account is None:
        redirect(f"/login?next={request.path}")
    if account.role != role:
        raise web.HTTPForbidden()
    return account


def origin(request: web.Request) -> str:
    configured = request.app[SETTINGS].public_url
    return configured.rstrip("/") if configured else str(request.url.origin())


def invitation_link(request: web.Request, session: CounselSession, jti: str) -> str:
    """An invitation link: the recipient's (the session's jti) or a third person's (their id)."""
    not_before, expires = invitation_window(session.created_at, session.scheduled_at)
    return f"{origin(request)}/join/{request.app[SIGNER].issue(session.id, jti, not_before, expires)}"


def form_str(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def ice_servers(request: web.Request, pseudonym: str) -> list[dict[str, object]]:
    """The ICE servers for one participant or check: the TURN relay with fresh credentials,
    or none (local candidates only) when no TURN is configured. Never a public STUN server."""
    issuer = request.app[TURN]
    if issuer is None:
        return []
    return [issuer.issue(pseudonym, now(request)).ice_server()]
