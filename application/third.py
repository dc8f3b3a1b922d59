"""A third person in the call: the caseworker adds and removes, the recipient agrees or
refuses, the third person joins with a link of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.consenting import record_consent
from application.notifier import Notifier
from consent.records import Scope
from rooms.errors import InvitationRevoked, SessionNotFound, ThirdExists, ThirdNotAgreed, WrongInvitation
from rooms.invitations import Invitation
from rooms.session import Admission, CounselSession
from rooms.third import ThirdRole
from rooms.waiting_room import WaitingRoom
from storage import consents, sessions, third
from storage.sessions import Participant

__all__ = ["ThirdFacts", "third_facts", "pending_role", "add_third", "answer", "remove_third", "join_third"]

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class ThirdFacts:
    """The session's third person (if any) and whether the recipient agreed."""

    person: Participant | None
    agreed: bool


async def third_facts(tx: AsyncSession, session_id: str) -> ThirdFacts:
    person = await third.active_third(tx, session_id)
    agreed = person is not None and await third.recipient_agreed(tx, session_id, person.id)
    return ThirdFacts(person, agreed)


async def pending_role(db: Sessions, session_id: str) -> str:
    """The role the recipient is asked to agree to, or "" when nothing is pending."""
    async with db() as tx:
        facts = await third_facts(tx, session_id)
    return facts.person.role if facts.person is not None and not facts.agreed else ""


async def _own_session(tx: AsyncSession, caseworker_id: int, session_id: str) -> CounselSession | None:
    session = await sessions.get_session(tx, session_id, for_update=True)
    return session if session.caseworker_id == caseworker_id else None


async def add_third(
    db: Sessions, notifier: Notifier, caseworker_id: int, session_id: str, role: ThirdRole, moment: datetime
) -> bool:
    """The caseworker adds an interpreter or companion; the recipient is asked first.
    False when the session is not this caseworker's."""
    async with db.begin() as tx:
        session = await _own_session(tx, caseworker_id, session_id)
        if session is None:
            return False
        session.ensure_joinable()
        if await third.active_third(tx, session.id) is not None:
            raise ThirdExists(session.id)
        await third.add_third(tx, session.id, role.value, moment)
    await notifier.third_asked(session_id, role.value)
    return True


async def answer(db: Sessions, notifier: Notifier, participant: Participant, agree: bool, moment: datetime) -> None:
    """The recipient agrees (a new consent record with the third-person scope) or refuses
    (the third person is declined; the call stays one to one)."""
    async with db.begin() as tx:
        session = await sessions.get_session(tx, participant.session_id, for_update=True)
        session.ensure_joinable()
        person = await third.active_third(tx, session.id)
        if person is None:
            raise SessionNotFound(session.id)
        if agree:
            current = await consents.current_consent(tx, participant.id)
            assert current is not None
            scopes = current.scopes | {Scope.THIRD_PERSON}
            await record_consent(
                tx, participant, moment, current.text_version, current.text_sha256, current.language, scopes
            )
        else:
            await sessions.set_admission(tx, person.id, Admission.DECLINED)
    await notifier.third_answered(session.id, agree)


async def remove_third(
    db: Sessions, notifier: Notifier, waiting_room: WaitingRoom, caseworker_id: int, session_id: str
) -> str | None:
    """The caseworker removes the third person at any time; the others go on.
    Their participant id, or None when the session is not this caseworker's."""
    async with db.begin() as tx:
        session = await _own_session(tx, caseworker_id, session_id)
        if session is None:
            return None
        person = await third.active_third(tx, session.id)
        if person is None:
            raise SessionNotFound(session.id)
        await sessions.set_admission(tx, person.id, Admission.DECLINED)
    await waiting_room.leave(session_id, person.id)
    await notifier.third_removed(session_id, person.id)
    return person.id


async def join_third(
    tx: AsyncSession, invitation: Invitation, session: CounselSession, existing: Participant | None
) -> tuple[Participant, str | None]:
    """The third person's link: (their participant, a cookie secret on the first opening).

    Refused: a link of a removed or refused person, before the recipient agreed, in a
    browser that is already someone else in this session (the recipient's, say), and in a
    second browser once the first one holds the link.
    """
    person = await sessions.get_participant(tx, invitation.jti)
    if person is None or person.session_id != session.id or person.role not in {r.value for r in ThirdRole}:
        raise InvitationRevoked("withdrawn", session_id=session.id)
    if person.admission is Admission.DECLINED:
        raise InvitationRevoked("withdrawn", session_id=session.id)
    if existing is not None:
        if existing.id != person.id:
            raise WrongInvitation(session.id)
        return person, None
    if not await third.recipient_agreed(tx, session.id, person.id):
        raise ThirdNotAgreed(session.id)
    secret = await third.claim(tx, person.id)
    if secret is None:
        raise WrongInvitation(session.id)
    return person, secret
