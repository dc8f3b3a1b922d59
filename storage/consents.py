"""Consent records: given, looked up, withdrawn. Rows hold no names."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from consent.records import ConsentRecord, Scope
from storage.models import ConsentRow
from storage.rows import from_row

__all__ = ["record_consent", "current_consent", "withdraw_consent", "consents_of_session"]


def _to_domain(row: ConsentRow) -> ConsentRecord:
    return from_row(ConsentRecord, row, scopes=frozenset(Scope(s) for s in row.scopes.split(",") if s))


async def record_consent(
    db: AsyncSession,
    *,
    participant_id: str,
    session_id: str,
    role: str,
    now: datetime,
    text_version: str,
    text_sha256: str,
    language: str,
    scopes: frozenset[Scope],
) -> ConsentRecord:
    row = ConsentRow(
        id=str(uuid.uuid4()),
        participant_id=participant_id,
        session_id=session_id,
        role=role,
        given_at=now,
        text_version=text_version,
        text_sha256=text_sha256,
        language=language,
        scopes=",".join(sorted(scopes)),
        withdrawn_at=None,
    )
    db.add(row)
    await db.flush()
    return _to_domain(row)


async def current_consent(db: AsyncSession, participant_id: str) -> ConsentRecord | None:
    row = await db.scalar(
        select(ConsentRow)
        .where(ConsentRow.participant_id == participant_id, ConsentRow.withdrawn_at.is_(None))
        .order_by(ConsentRow.given_at.desc())
        .limit(1)
    )
    return _to_domain(row) if row else None


async def withdraw_consent(db: AsyncSession, participant_id: str, now: datetime) -> int:
    result = await db.execute(
        update(ConsentRow)
        .where(ConsentRow.participant_id == participant_id, ConsentRow.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def consents_of_session(db: AsyncSession, session_id: str) -> dict[str, ConsentRecord]:
    """Each participant's newest record (withdrawn or not), keyed by participant id."""
    rows = await db.scalars(select(ConsentRow).where(ConsentRow.session_id == session_id).order_by(ConsentRow.given_at))
    return {row.participant_id: _to_domain(row) for row in rows}
