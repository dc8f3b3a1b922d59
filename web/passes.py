"""Signalling passes on the pages that open a socket (``storage.grant_passes``).

Each such page reads the grant the socket's connect would read, in one query, and
hands it over signed in a cookie scoped to the socket.io path; the connect then reads
the cookie instead of the database. Without a valid login or participant cookie, or when
the grant cannot be read, no pass is set: the connect decides on its own, as before.
"""

from __future__ import annotations

from aiohttp import web

from storage import grants
from storage.sessions import hash_secret
from storage.users import hash_token
from web.cookies import PARTICIPANT_PASS_COOKIE, SOCKET_PATH, STAFF_PASS_COOKIE, socket_credentials
from web.keys import DB, PASSES, SETTINGS

__all__ = ["with_staff_pass", "with_participant_pass"]


def _set(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=SOCKET_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=int(request.app[PASSES].lifetime),
    )


async def with_staff_pass(
    request: web.Request, response: web.StreamResponse, session_id: str | None
) -> web.StreamResponse:
    """``response`` with a pass for the caseworker's dashboard socket (``session_id`` None) or call."""
    token, _ = socket_credentials(request.cookies)
    if token is None:
        return response
    passes = request.app[PASSES]
    minted = passes.now()  # before the read: a change committed meanwhile revokes this pass
    async with request.app[DB]() as db:
        grant = await grants.staff_grant(db, token, session_id, request.app[SETTINGS].clock())
    if grant is not None:
        _set(request, response, STAFF_PASS_COOKIE, passes.mint_staff(grant, session_id, hash_token(token), minted))
    return response


async def with_participant_pass(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """``response`` with a pass for the recipient's (or third person's) socket."""
    _, cookie = socket_credentials(request.cookies)
    if cookie is None:
        return response
    passes = request.app[PASSES]
    minted = passes.now()
    async with request.app[DB]() as db:
        grant = await grants.recipient_grant(db, *cookie)
    if grant is not None:
        _set(request, response, PARTICIPANT_PASS_COOKIE, passes.mint_recipient(grant, hash_secret(cookie[1]), minted))
    return response
