"""Short invitation codes in the database: their hash, session, jti and validity window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InvitationCodeRow

__all__ = ["StoredCode", "remember", "find"]


@dataclass(frozen=True)
class StoredCode:
    session_id: str
    jti: str
    not_before: datetime
    expires_at: datetime


async def remember(
    dbm: async_sessionmaker[AsyncSession],
    hashed: str,
    session_id: str,
    jti: str,
    not_before: datetime,
    expires_at: datetime,
) -> None:
    """Store the code's hash once; showing the page again finds it there."""
    async with dbm() as db:
        if await db.get(InvitationCodeRow, hashed) is not None:
            return
    try:
        async with dbm.begin() as db:
            db.add(
                InvitationCodeRow(
                    code_hash=hashed, session_id=session_id, jti=jti, not_before=not_before, expires_at=expires_at
                )
            )
    except IntegrityError:
        pass  # two page views at once: the other one stored it


async def find(db: AsyncSession, hashed: str) -> StoredCode | None:
    row = await db.scalar(select(InvitationCodeRow).where(InvitationCodeRow.code_hash == hashed))
    if row is None:
        return None
    return StoredCode(row.session_id, row.jti, row.not_before, row.expires_at)
