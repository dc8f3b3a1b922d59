"""Short invitation codes in the database: their hash, session, jti and validity window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InvitationCodeRow

__all__ = ["StoredCode", "add", "find"]


@dataclass(frozen=True)
class StoredCode:
    session_id: str
    jti: str
    not_before: datetime
    expires_at: datetime


def add(db: AsyncSession, hashed: str, session_id: str, jti: str, not_before: datetime, expires_at: datetime) -> None:
    """Store a code's hash (unique: a second insert of the same code fails at commit)."""
    db.add(
        InvitationCodeRow(
            code_hash=hashed, session_id=session_id, jti=jti, not_before=not_before, expires_at=expires_at
        )
    )


async def find(db: AsyncSession, hashed: str) -> StoredCode | None:
    row = await db.scalar(select(InvitationCodeRow).where(InvitationCodeRow.code_hash == hashed))
    if row is None:
        return None
    return StoredCode(row.session_id, row.jti, row.not_before, row.expires_at)
