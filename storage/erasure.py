"""Making deleted personal data unreadable in the files, not only in the tables (SQLite).

SQLite keeps deleted rows in free pages and old page images in the write-ahead log until
they are overwritten: a cancelled booking's phone number stayed readable in the ``-wal``
file. Every connection runs with ``PRAGMA secure_delete=ON`` (``storage/db.py``), which
zeroes deleted content in the database pages; after a deletion of personal data,
``checkpoint`` writes the log back into the database and truncates it. PostgreSQL keeps
dead tuples until VACUUM: that is the operator's part (docs/security.md).
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

__all__ = ["checkpoint"]

logger = logging.getLogger(__name__)


async def checkpoint(db: async_sessionmaker[AsyncSession]) -> bool:
    """On SQLite, move the write-ahead log into the database and truncate it.

    Returns False when a reader kept it from completing (the next one catches up); True
    on PostgreSQL, where there is nothing to do here.
    """
    async with db() as session:
        if session.get_bind().dialect.name != "sqlite":
            return True
        busy, _log, _done = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
    if busy:
        logger.warning("WAL checkpoint after a deletion of personal data was blocked by a reader")
    return not busy
