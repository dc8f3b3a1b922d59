"""Joining a session: the invitation link (long or short), moving to another device, the
third person's own link, and who the participant behind a cookie is.

The recipient's link belongs to one device: opened where its participant has no cookie,
it asks whether to continue on this device (:func:`continue_here`) and never makes a
second participant. A third person's link (its own jti) goes to
:func:`application.third.join_third`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.attempts import log_event
from application.notifier import Notifier
from application.third import join_third
from rooms.attempts import EventKind
from rooms.errors import InvitationExpired, InvitationInvalid, InvitationNotYetValid, InvitationRevoked, WrongInvitation
from rooms.invitation_codes import InvitationCodes, code_hash, looks_like_code
from rooms.invitations import Invitation, invitation_window
from rooms.session import CounselSession
from storage import audit, consents, invitation_codes, sessions
from storage.sessions import Participant

__all__ = [
    "Participant",
    "Handover",
    "OtherDevice",
    "Visit",
    "Cookie",
    "open_invitation",
    "continue_here",
    "invitation_from_code",
    "short_code",
    "visit",
    "cookie_participant",
]

Sessions = async_sessionmaker[AsyncSession]
# (participant id, secret) from the participant cookie.
Cookie = tuple[str, str]


@dataclass(frozen=True)
class Handover:
    """Go on to the token-free page; with a new cookie secret when a participant was made or moved."""

    session: CounselSession
    participant_id: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class OtherDevice:
    """The link is held by another device: ask whether to continue here."""

    session: CounselSession


@dataclass(frozen=True)
class Visit:
    """The session, the participant behind the cookie, and whether their consent is current."""

    session: CounselSession
    participant: Participant
    consented: bool


async def cookie_participant(db: AsyncSession, session_id: str, cookie: Cookie | None) -> Participant | None:
    """The participant behind the cookie when it belongs to this session."""
    if cookie is None:
        return None
    participant = await sessions.find_participant(db, *cookie)
    if participant is None or participant.session_id != session_id:
        return None
    return participant


async def _joinable(db: Sessions, invitation: Invitation) -> CounselSession:
    """The invitation's session, joinable; whose link it is, the caller decides."""
    async with db() as tx:
        session = await sessions.get_session(tx, invitation.session_id)
    session.ensure_joinable()
    return session


async def open_invitation(
    db: Sessions, invitation: Invitation, cookie: Cookie | None, moment: datetime
) -> Handover | OtherDevice:
    """A verified invitation (JWT or short code) → the participant it makes, or the other device."""
    session = await _joinable(db, invitation)
    if invitation.jti != session.invitation_jti:
        async with db.begin() as tx:
            existing = await cookie_participant(tx, session.id, cookie)
            # A third person's own link (or a revoked one: join_third refuses it).
            third_person, secret = await join_third(tx, invitation, session, existing)
            await log_event(tx, third_person, EventKind.LINK_OPENED, moment)
        return Handover(session, third_person.id, secret)
    async with db() as tx:
        existing = await cookie_participant(tx, session.id, cookie)
        holder = None if existing else await sessions.link_holder(tx, session.id)
    if existing is not None:
        if existing.role != "recipient":
            raise WrongInvitation(session.id)  # the third person opened the recipient's link
        async with db.begin() as tx:
            await log_event(tx, existing, EventKind.LINK_OPENED, moment)
        return Handover(session)
    if holder is not None:
        return OtherDevice(session)
    try:
        async with db.begin() as tx:
            participant, secret = await sessions.add_participant(tx, session.id, "recipient", moment, via_link=True)
            await log_event(tx, participant, EventKind.LINK_OPENED, moment)
    except IntegrityError:
        # Opened at the same moment on another device, which took the link (one per session).
        return OtherDevice(session)
    return Handover(session, participant.id, secret)


async def continue_here(db: Sessions, notifier: Notifier, invitation: Invitation, moment: datetime) -> Handover:
    """Move the link's participant to this device; the other device is told and stops."""
    session = await _joinable(db, invitation)
    if invitation.jti != session.invitation_jti:
        raise InvitationRevoked("withdrawn", session_id=session.id)  # only the recipient's link moves between devices
    async with db.begin() as tx:
        holder = await sessions.link_holder(tx, session.id)
        if holder is None:
            participant, secret = await sessions.add_participant(tx, session.id, "recipient", moment, via_link=True)
            participant_id = participant.id
        else:
            participant_id = holder.id
            secret = await sessions.move_participant(tx, participant_id, moment)
            await audit.audit(tx, "participant.moved", moment, "role=recipient")
    if holder is not None:
        await notifier.participant_moved(session.id, participant_id, session.caseworker_id)
    return Handover(session, participant_id, secret)


async def invitation_from_code(db: Sessions, code: str, moment: datetime) -> Invitation:
    """The invitation a short code stands for; refused when unknown, early or expired."""
    code = code.lower()
    if not looks_like_code(code):
        raise InvitationInvalid("malformed")
    async with db() as tx:
        stored = await invitation_codes.find(tx, code_hash(code))
    if stored is None:
        raise InvitationInvalid("unknown code")
    if moment < stored.not_before or moment >= stored.expires_at:
        error = InvitationNotYetValid("early") if moment < stored.not_before else InvitationExpired("expired")
        error.session_id = stored.session_id
        raise error
    # A withdrawn link's jti is no longer the session's: the exchange refuses it as revoked.
    return Invitation(session_id=stored.session_id, jti=stored.jti)


async def short_code(db: Sessions, codes: InvitationCodes, session: CounselSession) -> str:
    """The session's short code for its current jti (stored as a hash on first view)."""
    code = codes.code_for(session.id, session.invitation_jti)
    hashed = code_hash(code)
    async with db() as tx:
        if await invitation_codes.find(tx, hashed) is not None:
            return code
    not_before, expires = invitation_window(session.created_at, session.scheduled_at)
    try:
        async with db.begin() as tx:
            invitation_codes.add(tx, hashed, session.id, session.invitation_jti, not_before, expires)
    except IntegrityError:
        pass  # two page views at once: the other one stored it
    return code


async def visit(db: Sessions, session_id: str, cookie: Cookie | None) -> Visit | None:
    """Who opens a session page: None when the cookie is no participant of this session."""
    async with db() as tx:
        session = await sessions.get_session(tx, session_id)
        participant = await cookie_participant(tx, session_id, cookie)
        if participant is None:
            return None
        consent = await consents.current_consent(tx, participant.id)
    return Visit(session, participant, consent is not None)
