"""Admission: who may connect a socket, admitting and declining, withdrawing consent.

The use cases the signalling handlers run. Each owns its transaction(s); the socket edge
parses, calls one of these, maps the error (``signaling/errors.py``) and tells the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.attempts import EventKind
from rooms.errors import IllegalTransition, RoomsError, SessionNotFound
from rooms.session import Admission, admission_transition
from rooms.third import ensure_room
from rooms.waiting_room import WaitingRoom
from storage import attempts, audit, consents, grants, sessions, third
from storage.grants import RecipientGrant, StaffGrant

__all__ = ["Admissions", "Decided", "NotYourSession", "RecipientGrant", "StaffGrant"]


class NotYourSession(RoomsError):
    """A caseworker acted on a session that is not theirs."""

    code: ClassVar[str] = "forbidden"


@dataclass(frozen=True, slots=True)
class Decided:
    """An admission decision that was taken: whom it concerns and who is to hear it."""

    session_id: str
    participant_id: str
    caseworker_id: int
    role: str  # the recipient, or a third person


class Admissions:
    """The admission use cases over the database and the waiting room."""

    def __init__(
        self, db: async_sessionmaker[AsyncSession], waiting: WaitingRoom, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._waiting = waiting
        self._clock = clock

    # ------------------------------------------------------------ the connect grant

    async def staff_grant(self, token: str, session_id: str | None) -> StaffGrant | None:
        """What a login may do on a socket: one indexed read. A caseworker joining a session
        made before caseworker participants came with it gets its participant first."""
        async with self._db() as db:
            grant = await grants.staff_grant(db, token, session_id, self._clock())
        if (
            grant is None
            or session_id is None
            or grant.role != "caseworker"
            or not grant.session_joinable
            or grant.participant_id is not None
        ):
            return grant
        async with self._db.begin() as db:
            participant, _ = await sessions.add_participant(db, session_id, "caseworker", self._clock())
        return replace(grant, participant_id=participant.id)

    async def recipient_grant(self, participant_id: str, secret: str) -> RecipientGrant | None:
        """What a participant cookie may do on a socket: one indexed read; None if invalid."""
        async with self._db() as db:
            return await grants.recipient_grant(db, participant_id, secret)

    async def open_sessions(self, account_id: int) -> list[str]:
        """The ids of the caseworker's open sessions (the dashboard's waiting lists)."""
        async with self._db() as db:
            return [s.id for s in await sessions.open_sessions_of(db, account_id)]

    # ------------------------------------------------------------ admit, decline

    async def admit(self, account_id: int, session_id: str, participant_id: str) -> Decided:
        """Raises ``CallFull`` (three in the call), ``IllegalTransition`` (decided already),
        ``SessionClosed``, ``SessionNotFound`` or ``NotYourSession``."""
        return await self._decide(account_id, session_id, participant_id, Admission.ADMITTED)

    async def decline(self, account_id: int, session_id: str, participant_id: str) -> Decided:
        return await self._decide(account_id, session_id, participant_id, Admission.DECLINED)

    async def _decide(self, account_id: int, session_id: str, participant_id: str, target: Admission) -> Decided:
        async with self._db() as db:
            session = await sessions.get_session(db, session_id)
            participant = await sessions.get_participant(db, participant_id)
        if session.caseworker_id != account_id:
            raise NotYourSession(session_id)
        if participant is None or participant.session_id != session.id:
            raise SessionNotFound(participant_id)
        session.ensure_joinable()
        # Raises IllegalTransition (wire code ``conflict``) for a decision already taken.
        admission_transition(participant.admission, target)
        async with self._db.begin() as db:
            # The decision itself is a compare-and-set in the database: of two sent at
            # once (two tabs, admit and decline), exactly one wins; the other is told
            # ``conflict`` and nothing is sent to the recipient on its behalf.
            if not await sessions.decide_admission(db, session.id, participant.id, target):
                raise IllegalTransition("admission", Admission.WAITING, target)
            if target is Admission.ADMITTED:
                # At most three in the call. Counted after the compare-and-set, with the
                # session row locked (PostgreSQL), so two admissions of different people
                # at once cannot both pass; a refused one rolls back.
                await sessions.get_session(db, session.id, for_update=True)
                ensure_room(await third.admitted_count(db, session.id) - 1)
                moment = self._clock()
                await attempts.record(db, session.id, participant.id, participant.role, EventKind.ADMITTED, moment)
        await self._waiting.leave(session.id, participant.id)
        return Decided(session.id, participant.id, session.caseworker_id, participant.role)

    # ------------------------------------------------------------ consent

    async def withdraw_consent(self, participant_id: str) -> None:
        """The participant withdraws consent: its current record ends (audited once per record)."""
        async with self._db.begin() as db:
            if await consents.withdraw_consent(db, participant_id, self._clock()):
                # Counted once per record, not per click (a second tab may withdraw too).
                await audit.audit(db, "consent.withdrawn", self._clock(), "role=recipient")
