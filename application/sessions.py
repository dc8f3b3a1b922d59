"""The caseworker's sessions: the dashboard, a new session, its page, a new invitation link."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.calls import rating_context
from application.third import ThirdFacts, third_facts
from booking.appointment import Appointment
from consent.records import ConsentRecord
from rooms.session import BenefitGroup, CounselSession
from storage import bookings, consents, deliveries, sessions
from storage import feedback as feedback_store
from storage.availability import office_info
from storage.deliveries import Delivery
from storage.sessions import Participant

__all__ = [
    "Dashboard",
    "dashboard",
    "NewSession",
    "create_session",
    "own_session",
    "SessionPage",
    "session_page",
    "revoke_invitation",
]

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Dashboard:
    sessions: list[CounselSession]
    appointments: list[Appointment]
    office_address: str


async def dashboard(
    db: Sessions, caseworker_id: int, office_id: int | None, since: datetime, until: datetime
) -> Dashboard:
    """Today's sessions, the upcoming appointments and the office's address."""
    async with db() as tx:
        todays = await sessions.sessions_of_caseworker(tx, caseworker_id, since, until)
        appointments = await bookings.upcoming_of(tx, caseworker_id)
        office_address = (await office_info(tx, office_id)).address
    return Dashboard(todays, appointments, office_address)


@dataclass(frozen=True)
class NewSession:
    caseworker_id: int
    office_id: int | None
    group: BenefitGroup
    language: str
    scheduled_at: datetime | None


async def create_session(db: Sessions, new: NewSession, invitation_jti: str, moment: datetime) -> CounselSession:
    """A new session with its caseworker participant (the call page's connect only reads)."""
    session = CounselSession(
        id=str(uuid.uuid4()),
        caseworker_id=new.caseworker_id,
        group=new.group,
        language=new.language,
        invitation_jti=invitation_jti,
        created_at=moment,
        office_id=new.office_id,
        scheduled_at=new.scheduled_at,
    )
    async with db.begin() as tx:
        await sessions.add_session(tx, session)
        await sessions.add_participant(tx, session.id, "caseworker", moment)
    return session


async def own_session(db: Sessions, caseworker_id: int, session_id: str) -> CounselSession | None:
    """The session when it is this caseworker's, else None."""
    async with db() as tx:
        session = await sessions.get_session(tx, session_id)
    return session if session.caseworker_id == caseworker_id else None


@dataclass(frozen=True)
class SessionPage:
    """What the caseworker's session page shows."""

    recipients: list[Participant]
    consents: dict[str, ConsentRecord]
    rateable: bool
    rated: bool
    third: ThirdFacts
    deliveries: list[Delivery]


async def session_page(db: Sessions, session: CounselSession) -> SessionPage:
    async with db() as tx:
        participants = await sessions.participants_of(tx, session.id)
        consent_by_participant = await consents.consents_of_session(tx, session.id)
        rateable = rating_context(session) is not None
        rated = rateable and await feedback_store.was_rated(tx, session.id)
        third = await third_facts(tx, session.id)
        sent = await deliveries.of_session(tx, session.id) if session.joinable else []
    recipients = [p for p in participants if p.role == "recipient"]
    return SessionPage(recipients, consent_by_participant, rateable, rated, third, sent)


async def revoke_invitation(db: Sessions, caseworker_id: int, session_id: str, new_jti: str) -> bool:
    """A new invitation link; the old one (and its short code) no longer opens the session.
    False when the session is not this caseworker's."""
    async with db.begin() as tx:
        session = await sessions.get_session(tx, session_id, for_update=True)
        if session.caseworker_id != caseworker_id:
            return False
        session.rotate_invitation(new_jti)
        await sessions.save_session(tx, session)
    return True
