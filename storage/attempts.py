"""The attempt log: events in, ``rooms.attempts.AttemptEvent`` out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.attempts import MAX_EVENTS_PER_PARTICIPANT, AttemptEvent, EventKind
from storage.models import AttemptEventRow

__all__ = ["record", "events_of"]


async def record(
    db: AsyncSession,
    session_id: str,
    participant_id: str,
    role: str,
    kind: EventKind,
    at: datetime,
    detail: str = "",
) -> bool:
    """Append one event; False (nothing stored) once the participant has its maximum."""
    count = await db.scalar(
        select(func.count()).select_from(AttemptEventRow).where(AttemptEventRow.participant_id == participant_id)
    )
    if (count or 0) >= MAX_EVENTS_PER_PARTICIPANT:
        return False
    db.add(
        AttemptEventRow(
            session_id=session_id,
            participant_id=participant_id,
            role=role,
            at=at,
            kind=str(kind),
            detail=detail,
        )
    )
    return True


async def events_of(
    db: AsyncSession, session_id: str, participant_id: str | None = None
) -> list[tuple[str, AttemptEvent]]:
    """(participant id, event) in time order: the session's, or one participant's."""
    query = select(AttemptEventRow).where(AttemptEventRow.session_id == session_id)
    if participant_id is not None:
        query = query.where(AttemptEventRow.participant_id == participant_id)
    rows = await db.scalars(query.order_by(AttemptEventRow.at, AttemptEventRow.id))
    return [(r.participant_id, AttemptEvent(r.at, r.role, EventKind(r.kind), r.detail)) for r in rows]
