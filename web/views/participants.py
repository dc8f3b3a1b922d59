"""What the recipient's and the third person's pages share: the participant behind the
cookie, the page frame, and the hand-over from an invitation link to the token-free URL."""

from __future__ import annotations

from typing import NoReturn

import aiohttp_jinja2
from aiohttp import web

from application.joining import Cookie, Handover, Participant, continue_here, open_invitation, visit
from rooms.invitations import Invitation, invitation_window
from rooms.session import CounselSession
from web.cookie_setting import set_private_cookie
from web.cookies import LANG_COOKIE, PARTICIPANT_COOKIE, participant_cookie, split_participant_cookie
from web.keys import DB, NOTIFIER
from web.views.common import now

__all__ = [
    "SID",
    "cookie_of",
    "recipient_of",
    "recipient_page",
    "hand_over",
    "exchange_invitation",
    "continue_on_this_device",
]

SID = r"{session_id:[0-9a-f-]{36}}"


def cookie_of(request: web.Request) -> Cookie | None:
    """(participant id, secret) from the participant cookie, when it is well formed."""
    return split_participant_cookie(request.cookies.get(PARTICIPANT_COOKIE, ""))


async def recipient_of(request: web.Request) -> tuple[CounselSession, Participant, bool]:
    """The session, the participant behind the cookie, and whether consent is current."""
    found = await visit(request.app[DB], request.match_info["session_id"], cookie_of(request))
    if found is None:
        raise web.HTTPForbidden()
    return found.session, found.participant, found.consented


def recipient_page(
    request: web.Request, template: str, session: CounselSession, **context: object
) -> web.StreamResponse:
    status = context.pop("status", 200)
    context.setdefault("fallback_url", f"/s/{session.id}/fallback")
    return aiohttp_jinja2.render_template(
        template,
        request,
        {"session": session, **context},
        status=int(status),  # type: ignore[call-overload]
    )


def hand_over(request: web.Request, handover: Handover) -> NoReturn:
    """Redirect to the token-free URL, with the participant cookie when one was made."""
    session = handover.session
    response = web.HTTPSeeOther(f"/s/{session.id}")
    if LANG_COOKIE not in request.cookies and "lang" not in request.query:
        # The caseworker chose the invitation's language; the person can still switch.
        set_private_cookie(request, response, LANG_COOKIE, session.language, max_age=365 * 86400)
    if handover.participant_id is not None and handover.secret is not None:
        _, expires = invitation_window(session.created_at, session.scheduled_at)
        set_private_cookie(
            request,
            response,
            PARTICIPANT_COOKIE,
            participant_cookie(handover.participant_id, handover.secret),
            max_age=max(60, int((expires - now(request)).total_seconds()) + 3600),
        )
    raise response


async def exchange_invitation(request: web.Request, invitation: Invitation) -> web.StreamResponse:
    """A verified invitation (JWT or short code) → participant cookie and a token-free URL,
    or the question whether to continue on this device."""
    opened = await open_invitation(request.app[DB], invitation, cookie_of(request), now(request))
    if isinstance(opened, Handover):
        hand_over(request, opened)
    return aiohttp_jinja2.render_template(
        "recipient/other_device.html", request, {"session": opened.session, "action": request.path}, status=409
    )


async def continue_on_this_device(request: web.Request, invitation: Invitation) -> web.StreamResponse:
    """Move the link's participant to this device; the other device is told and stops."""
    hand_over(request, await continue_here(request.app[DB], request.app[NOTIFIER], invitation, now(request)))
