"""Counselling sessions and their participants: rows in, domain objects out."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.errors import SessionNotFound
from rooms.session import Admission, BenefitGroup, CounselSession, Outcome, SessionState
from storage.models import CounselSessionRow, ParticipantRow
from storage.rows import by_key, from_row, get_as, one_row

__all__ = [
    "Participant",
    "hash_secret",
    "add_session",
    "get_session",
    "save_session",
    "sessions_of_caseworker",
    "open_sessions_of",
    "add_participant",
    "insert_participant",
    "find_participant",
    "get_participant",
    "set_admission",
    "decide_admission",
    "link_holder",
    "move_participant",
    "participants_of",
    "recent_ends",
]


@dataclass(frozen=True)
class Participant:
    id: str
    session_id: str
    role: str
    admission: Admission


def _participant(row: ParticipantRow) -> Participant:
    return from_row(Participant, row, admission=Admission(row.admission))


def _to_domain(row: CounselSessionRow) -> CounselSession:
    return CounselSession(
        id=row.id,
        caseworker_id=row.caseworker_id,
        group=BenefitGroup(row.benefit_group),
        language=row.language,
        invitation_jti=row.invitation_jti,
        created_at=row.created_at,
        office_id=row.office_id,
        scheduled_at=row.scheduled_at,
        state=SessionState(row.state),
        outcome=Outcome(row.outcome) if row.outcome else None,
        ended_at=row.ended_at,
    )


async def add_session(db: AsyncSession, session: CounselSession) -> None:
    db.add(
        CounselSessionRow(
            id=session.id,
            caseworker_id=session.caseworker_id,
            office_id=session.office_id,
            benefit_group=session.group.value,
            language=session.language,
            scheduled_at=session.scheduled_at,
            state=session.state.value,
            outcome=None,
            invitation_jti=session.invitation_jti,
            created_at=session.created_at,
            ended_at=None,
        )
    )
    await db.flush()


async def get_session(db: AsyncSession, session_id: str, *, for_update: bool = False) -> CounselSession:
    row = await one_row(
        db, CounselSessionRow, CounselSessionRow.id, session_id, SessionNotFound(session_id), for_update=for_update
    )
    return _to_domain(row)


async def save_session(db: AsyncSession, session: CounselSession) -> None:
    row = await by_key(db, CounselSessionRow, session.id, SessionNotFound(session.id))
    row.state = session.state.value
    row.outcome = session.outcome.value if session.outcome else None
    row.ended_at = session.ended_at
    row.invitation_jti = session.invitation_jti
    await db.flush()


async def sessions_of_caseworker(
    db: AsyncSession, caseworker_id: int, since: datetime, until: datetime
) -> list[CounselSession]:
    """Sessions created or scheduled in [since, until), plus any still open."""
    rows = await db.scalars(
        select(CounselSessionRow)
        .where(CounselSessionRow.caseworker_id == caseworker_id)
        .where(
            ((CounselSessionRow.created_at >= since) & (CounselSessionRow.created_at < until))
            | ((CounselSessionRow.scheduled_at >= since) & (CounselSessionRow.scheduled_at < until))
            | CounselSessionRow.state.in_([SessionState.OPEN.value, SessionState.IN_CALL.value])
        )
        .order_by(CounselSessionRow.created_at.desc())
        .limit(200)
    )
    return [_to_domain(r) for r in rows]


async def open_sessions_of(db: AsyncSession, caseworker_id: int) -> list[CounselSession]:
    rows = await db.scalars(
        select(CounselSessionRow).where(
            CounselSessionRow.caseworker_id == caseworker_id,
            CounselSessionRow.state.in_([SessionState.OPEN.value, SessionState.IN_CALL.value]),
        )
    )
    return [_to_domain(r) for r in rows]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def add_participant(
    db: AsyncSession, session_id: str, role: str, now: datetime, *, via_link: bool = False
) -> tuple[Participant, str]:
    """Create a pseudonymous participant; return it with its cookie secret (not stored).

    ``via_link``: made by opening the invitation link; the database allows one per session.
    """
    secret = secrets.token_urlsafe(32)
    admission = Admission.ADMITTED if role == "caseworker" else Admission.WAITING
    participant = await insert_participant(db, session_id, role, hash_secret(secret), admission, now, via_link=via_link)
    return participant, secret


async def insert_participant(
    db: AsyncSession,
    session_id: str,
    role: str,
    secret_hash: str,
    admission: Admission,
    now: datetime,
    *,
    via_link: bool = False,
) -> Participant:
    """The one insert of a participant row: ``secret_hash`` is its cookie secret's
    ``hash_secret``, or a marker while nobody holds one (``storage.third``)."""
    row = ParticipantRow(
        id=str(uuid.uuid4()),
        session_id=session_id,
        role=role,
        secret_hash=secret_hash,
        admission=admission.value,
        created_at=now,
        via_link=via_link,
    )
    db.add(row)
    await db.flush()
    return Participant(row.id, session_id, role, admission)


async def find_participant(db: AsyncSession, participant_id: str, secret: str) -> Participant | None:
    row = await db.get(ParticipantRow, participant_id)
    if row is None or not secrets.compare_digest(row.secret_hash, hash_secret(secret)):
        return None
    return _participant(row)


async def get_participant(db: AsyncSession, participant_id: str) -> Participant | None:
    return await get_as(db, ParticipantRow, participant_id, _participant)


async def set_admission(db: AsyncSession, participant_id: str, admission: Admission) -> None:
    row = await db.get(ParticipantRow, participant_id)
    if row is None:
        raise SessionNotFound(participant_id)
    row.admission = admission.value
    await db.flush()


async def decide_admission(db: AsyncSession, session_id: str, participant_id: str, target: Admission) -> bool:
    """Move a waiting recipient to ``target``: a compare-and-set, True for the one that won.

    One conditional UPDATE (``WHERE admission = 'waiting'`` and the session still
    joinable), so two decisions sent at once cannot both succeed on either engine. When
    admitting, the session moves to ``in_call`` in the same transaction. Start the
    transaction with this call: on SQLite it then takes the write lock at once.
    """
    joinable = (
        select(CounselSessionRow.id)
        .where(
            CounselSessionRow.id == session_id,
            CounselSessionRow.state.in_([SessionState.OPEN.value, SessionState.IN_CALL.value]),
        )
        .scalar_subquery()
    )
    moved = await db.execute(
        update(ParticipantRow)
        .where(
            ParticipantRow.id == participant_id,
            ParticipantRow.session_id == joinable,
            ParticipantRow.admission == Admission.WAITING.value,
        )
        .values(admission=target.value)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if target is Admission.ADMITTED:
        await db.execute(
            update(CounselSessionRow)
            .where(CounselSessionRow.id == session_id, CounselSessionRow.state == SessionState.OPEN.value)
            .values(state=SessionState.IN_CALL.value)
        )
    return True


async def link_holder(db: AsyncSession, session_id: str) -> Participant | None:
    """The recipient the session's invitation link belongs to, if it was opened yet."""
    row = await db.scalar(
        select(ParticipantRow).where(ParticipantRow.session_id == session_id, ParticipantRow.via_link.is_(True))
    )
    return _participant(row) if row else None


async def move_participant(db: AsyncSession, participant_id: str, now: datetime) -> str:
    """Give the participant a new cookie secret (the old device's stops working); return it."""
    secret = secrets.token_urlsafe(32)
    moved = await db.execute(
        update(ParticipantRow)
        .where(ParticipantRow.id == participant_id)
        .values(secret_hash=hash_secret(secret), moved_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise SessionNotFound(participant_id)
    return secret


async def participants_of(db: AsyncSession, session_id: str) -> list[Participant]:
    rows = await db.scalars(
        select(ParticipantRow).where(ParticipantRow.session_id == session_id).order_by(ParticipantRow.created_at)
    )
    return [_participant(r) for r in rows]


async def recent_ends(db: AsyncSession, caseworker_id: int, since: datetime) -> list[datetime]:
    """When this caseworker's sessions ended since ``since``: their pace, for the waiting room."""
    rows = await db.scalars(
        select(CounselSessionRow.ended_at).where(
            CounselSessionRow.caseworker_id == caseworker_id,
            CounselSessionRow.ended_at.is_not(None),
            CounselSessionRow.ended_at >= since,
        )
    )
    return [end for end in rows if end is not None]
