"""A third person in the call: the caseworker adds and removes, the recipient agrees or refuses,
the third person joins with a link of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from consent.records import Scope
from rooms.errors import InvitationRevoked, SessionNotFound, ThirdExists, ThirdNotAgreed, WrongInvitation
from rooms.invitations import Invitation, invitation_window
from rooms.session import Admission, CounselSession
from rooms.third import ThirdRole
from storage import consents, sessions, third
from storage.sessions import Participant
from web.bodies import read_json
from web.cookies import PARTICIPANT_COOKIE, participant_cookie
from web.keys import DB, NOTIFIER, SETTINGS, SIGNER, WAITING_ROOM
from web.views.common import form_str, now, origin, redirect, require_role

__all__ = ["routes", "join_third", "third_context", "pending_third_role", "SID"]

routes = web.RouteTableDef()

SID = r"{session_id:[0-9a-f-]{36}}"


async def _own_session(request: web.Request, db: AsyncSession, *, for_update: bool = False) -> CounselSession:
    account = require_role(request, "caseworker")
    session = await sessions.get_session(db, request.match_info["session_id"], for_update=for_update)
    if session.caseworker_id != account.id:
        raise web.HTTPNotFound()
    return session


def third_link(request: web.Request, session: CounselSession, participant: Participant) -> str:
    """The third person's own link: an invitation whose ``jti`` is their participant id."""
    not_before, expires = invitation_window(session.created_at, session.scheduled_at)
    token = request.app[SIGNER].issue(session.id, participant.id, not_before, expires)
    return f"{origin(request)}/join/{token}"


async def third_context(request: web.Request, db: AsyncSession, session: CounselSession) -> dict[str, Any]:
    """What the session page shows about the third person."""
    person = await third.active_third(db, session.id)
    agreed = person is not None and await third.recipient_agreed(db, session.id, person.id)
    return {
        "third": person,
        "third_agreed": agreed,
        "third_link": third_link(request, session, person) if person and agreed and session.joinable else None,
        "third_roles": [r.value for r in ThirdRole],
    }


async def pending_third_role(db: AsyncSession, session_id: str) -> str:
    """The role the recipient is asked to agree to, or "" when nothing is pending."""
    person = await third.active_third(db, session_id)
    if person is None or await third.recipient_agreed(db, session_id, person.id):
        return ""
    return person.role


@routes.post(rf"/sessions/{SID}/third", name="add_third")
async def add_third(request: web.Request) -> web.StreamResponse:
    """The caseworker adds an interpreter or companion; the recipient is asked first."""
    form = await request.post()
    try:
        role = ThirdRole(form_str(form, "role"))
    except ValueError:
        raise web.HTTPBadRequest() from None
    async with request.app[DB].begin() as db:
        session = await _own_session(request, db, for_update=True)
        session.ensure_joinable()
        if await third.active_third(db, session.id) is not None:
            raise ThirdExists(session.id)
        await third.add_third(db, session.id, role.value, now(request))
    await request.app[NOTIFIER].third_asked(session.id, role.value)
    redirect(f"/sessions/{session.id}#third")


async def _json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    body = await read_json(request)  # malformed, too deep or lone surrogates: 400
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    return body


@routes.post(rf"/api/third/{SID}/answer", name="third_answer")
async def answer(request: web.Request) -> web.StreamResponse:
    """The recipient agrees (a new consent record with the third-person scope) or refuses
    (the third person is declined; the call stays one to one)."""
    from web.views.recipient import recipient_of  # the recipient module imports this one

    agree = (await _json(request)).get("agree")
    if not isinstance(agree, bool):
        raise web.HTTPBadRequest()
    session, participant, consented = await recipient_of(request)
    if participant.role != "recipient" or not consented:
        raise web.HTTPForbidden()
    moment = now(request)
    async with request.app[DB].begin() as db:
        session = await sessions.get_session(db, session.id, for_update=True)
        session.ensure_joinable()
        person = await third.active_third(db, session.id)
        if person is None:
            raise SessionNotFound(session.id)
        if agree:
            current = await consents.current_consent(db, participant.id)
            assert current is not None
            await consents.record_consent(
                db,
                participant_id=participant.id,
                session_id=session.id,
                role=participant.role,
                now=moment,
                text_version=current.text_version,
                text_sha256=current.text_sha256,
                language=current.language,
                scopes=current.scopes | {Scope.THIRD_PERSON},
            )
        else:
            await sessions.set_admission(db, person.id, Admission.DECLINED)
    await request.app[NOTIFIER].third_answered(session.id, agree)
    return web.json_response({"ok": True})


@routes.post(rf"/api/third/{SID}/remove", name="third_remove")
async def remove(request: web.Request) -> web.StreamResponse:
    """The caseworker removes the third person at any time; the others go on."""
    async with request.app[DB].begin() as db:
        session = await _own_session(request, db, for_update=True)
        person = await third.active_third(db, session.id)
        if person is None:
            raise SessionNotFound(session.id)
        await sessions.set_admission(db, person.id, Admission.DECLINED)
    await request.app[WAITING_ROOM].leave(session.id, person.id)
    await request.app[NOTIFIER].third_removed(session.id, person.id)
    return web.json_response({"ok": True, "participant": person.id})


async def join_third(
    request: web.Request,
    db: AsyncSession,
    invitation: Invitation,
    session: CounselSession,
    existing: Participant | None,
) -> tuple[Participant, str | None]:
    """The third person's link: (their participant, a cookie secret on the first opening).

    Refused: a link of a removed or refused person, before the recipient agreed, in a
    browser that is already someone else in this session (the recipient's, say), and in a
    second browser once the first one holds the link.
    """
    person = await sessions.get_participant(db, invitation.jti)
    if person is None or person.session_id != session.id or person.role not in {r.value for r in ThirdRole}:
        raise InvitationRevoked("withdrawn", session_id=session.id)
    if person.admission is Admission.DECLINED:
        raise InvitationRevoked("withdrawn", session_id=session.id)
    if existing is not None:
        if existing.id != person.id:
            raise WrongInvitation(session.id)
        return person, None
    if not await third.recipient_agreed(db, session.id, person.id):
        raise ThirdNotAgreed(session.id)
    secret = await third.claim(db, person.id)
    if secret is None:
        raise WrongInvitation(session.id)
    return person, secret


def set_participant_cookie(
    request: web.Request,
    response: web.StreamResponse,
    session: CounselSession,
    participant_id: str,
    secret: str,
    moment: datetime,
) -> None:
    _, expires = invitation_window(session.created_at, session.scheduled_at)
    response.set_cookie(
        PARTICIPANT_COOKIE,
        participant_cookie(participant_id, secret),
        httponly=True,
        samesite="Lax",
        secure=request.app[SETTINGS].secure_cookies,
        path="/",
        max_age=max(60, int((expires - moment).total_seconds()) + 3600),
    )
