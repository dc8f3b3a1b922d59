"""What an error page may tell a recipient about the session it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import offices, sessions
from storage.offices import OfficeView

__all__ = ["SessionFacts", "session_facts"]


@dataclass(frozen=True)
class SessionFacts:
    """The session's appointment time and office, and whether the asking browser holds its participant."""

    scheduled_at: datetime | None
    office: OfficeView | None
    own_participant: bool


async def session_facts(
    db: async_sessionmaker[AsyncSession], session_id: str, participant: tuple[str, str] | None
) -> SessionFacts:
    """Read-only; raises the domain's ``SessionNotFound`` for an unknown session."""
    async with db() as session:
        found = await sessions.get_session(session, session_id)
        office = await offices.get_office(session, found.office_id) if found.office_id is not None else None
        own = False
        if participant is not None:
            person = await sessions.find_participant(session, *participant)
            own = person is not None and person.session_id == session_id
    return SessionFacts(found.scheduled_at, office, own)
