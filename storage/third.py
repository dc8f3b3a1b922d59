"""The third person of a session: made by the caseworker, claimed once by their link."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from consent.records import Scope
from rooms.session import Admission
from rooms.third import THIRD_ROLES
from storage.models import ConsentRow, ParticipantRow
from storage.sessions import Participant, hash_secret, insert_participant

__all__ = ["add_third", "active_third", "claim", "admitted_count", "recipient_agreed"]

# A third person's row exists before anyone holds its cookie: its secret hash starts with
# this marker (never a hex digit, so never a SHA-256) until the link is first opened.
_UNCLAIMED = "u"


def _domain(row: ParticipantRow) -> Participant:
    return Participant(row.id, row.session_id, row.role, Admission(row.admission))


async def add_third(db: AsyncSession, session_id: str, role: str, now: datetime) -> Participant:
    return await insert_participant(db, session_id, role, _UNCLAIMED + secrets.token_hex(31), Admission.WAITING, now)


async def active_third(db: AsyncSession, session_id: str) -> Participant | None:
    """The session's third person unless removed or refused (at most one at a time)."""
    row = await db.scalar(
        select(ParticipantRow)
        .where(
            ParticipantRow.session_id == session_id,
            ParticipantRow.role.in_(THIRD_ROLES),
            ParticipantRow.admission != Admission.DECLINED.value,
        )
        .order_by(ParticipantRow.created_at.desc())
        .limit(1)
    )
    return _domain(row) if row else None


async def claim(db: AsyncSession, participant_id: str) -> str | None:
    """The cookie secret for the first browser that opens the link; None once claimed."""
    row = await db.get(ParticipantRow, participant_id, with_for_update=True)
    if row is None or not row.secret_hash.startswith(_UNCLAIMED):
        return None
    secret = secrets.token_urlsafe(32)
    row.secret_hash = hash_secret(secret)
    await db.flush()
    return secret


async def admitted_count(db: AsyncSession, session_id: str) -> int:
    """Admitted participants of the session, the caseworker included."""
    count = await db.scalar(
        select(func.count())
        .select_from(ParticipantRow)
        .where(ParticipantRow.session_id == session_id, ParticipantRow.admission == Admission.ADMITTED.value)
    )
    return int(count or 0)


async def recipient_agreed(db: AsyncSession, session_id: str, third_id: str) -> bool:
    """Whether a recipient of the session agreed to this third person: a current consent
    record with the third-person scope, given after the person was added (an agreement to
    an earlier, removed one does not carry over)."""
    added = await db.scalar(select(ParticipantRow.created_at).where(ParticipantRow.id == third_id))
    if added is None:
        return False
    rows = await db.scalars(
        select(ConsentRow.scopes)
        .join(ParticipantRow, ParticipantRow.id == ConsentRow.participant_id)
        .where(
            ConsentRow.session_id == session_id,
            ConsentRow.withdrawn_at.is_(None),
            ConsentRow.given_at >= added,
            ParticipantRow.role == "recipient",
        )
    )
    return any(Scope.THIRD_PERSON.value in scopes.split(",") for scopes in rows)
