"""Whether this node can serve: the database answers (the edges add Redis and draining)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

__all__ = ["database_ok"]


async def database_ok(db: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with db() as tx:
            await tx.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
