"""Setting a private cookie: HttpOnly, SameSite=Lax, Secure where the site is served over
HTTPS (``Settings.secure_cookies``). Every view that sets one goes through here."""

from __future__ import annotations

from aiohttp import web

from web.keys import SETTINGS

__all__ = ["set_private_cookie"]


def set_private_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    path: str = "/",
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        secure=request.app[SETTINGS].secure_cookies,
        path=path,
        max_age=max_age,
    )
