"""The check page and its verdicts in the page language: standalone (``/check``) or from an invitation."""

from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web

from rooms.check import Verdict
from web.i18n import gettext as _
from web.views.common import ice_servers

__all__ = ["render_check", "verdict_texts"]


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
    booking, the link to open in another browser, and the attempt log)."""
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
