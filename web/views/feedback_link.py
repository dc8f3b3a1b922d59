"""The feedback link of a held phone or in-person appointment, on its confirmation page.

Minted the first time the page is shown after the caseworker marked the appointment done
(``application.feedback_intake.booking_token``); a reload shows it again from a cookie
scoped to that page.
"""

from __future__ import annotations

from aiohttp import web

from application import feedback_intake as intake
from feedback.tokens import TOKEN_LIFETIME, looks_like_token
from web.cookie_setting import set_private_cookie
from web.keys import DB
from web.views.common import now

__all__ = ["booking_feedback_token", "remember_feedback_link"]

_LINK_COOKIE = "vb_feedback_link"


async def booking_feedback_token(request: web.Request, booking_id: str, cookie_path: str) -> str | None:
    """The one feedback token of a held phone or in-person appointment, minted when its
    confirmation page is first shown after the caseworker marked it done; a reload shows
    it again from a cookie scoped to that page."""
    token = await intake.booking_token(request.app[DB], booking_id, now(request))
    remembered = request.cookies.get(_LINK_COOKIE, "")
    if token is None and looks_like_token(remembered):
        token = remembered
    return token


def remember_feedback_link(
    request: web.Request, response: web.StreamResponse, cookie_path: str, token: str | None
) -> None:
    if token:
        set_private_cookie(
            request, response, _LINK_COOKIE, token, path=cookie_path, max_age=int(TOKEN_LIFETIME.total_seconds())
        )
