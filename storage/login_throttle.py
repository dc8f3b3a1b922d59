"""Failed-login counting per user name, as one atomic statement on SQLite and PostgreSQL.

An attempt is counted *before* its password is checked: one ``INSERT … ON CONFLICT DO
UPDATE … RETURNING`` adds it and answers whether it may still be checked. Concurrent
attempts therefore count exactly (no read-modify-write, no lost update, no unique-key
error on the first row), and at most ``MAX_ATTEMPTS`` passwords per user name are ever
verified in a window, however many arrive at the same moment. A successful login clears
the row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, literal, null, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LoginThrottle, UTCDateTime

__all__ = ["WINDOW", "MAX_ATTEMPTS", "LOCK", "key_for", "take_attempt", "locked_until", "clear"]

WINDOW = timedelta(minutes=15)
MAX_ATTEMPTS = 5
LOCK = timedelta(minutes=15)


def key_for(username: str) -> str:
    """The row key: a hash of the normalised user name (no names are stored)."""
    return hashlib.sha256(b"login:" + username.strip().lower().encode()).hexdigest()


def _insert(db: AsyncSession) -> Any:
    dialect = db.get_bind().dialect.name
    return postgresql.insert(LoginThrottle) if dialect == "postgresql" else sqlite.insert(LoginThrottle)


async def take_attempt(db: AsyncSession, username: str, now: datetime) -> int:
    """Count one attempt for ``username``; return its number in the current window.

    Its password may be checked when the number is at most ``MAX_ATTEMPTS``.

    A window that is over (and no lock in force) starts again at 1. The attempt that
    reaches ``MAX_ATTEMPTS`` sets the lock; every later one within it is refused.
    """
    table = LoginThrottle.__table__
    row = table.c
    stale = and_(row.window_start <= now - WINDOW, or_(row.locked_until.is_(None), row.locked_until <= now))
    counted = row.failures + 1
    at, lock_end = literal(now, UTCDateTime()), literal(now + LOCK, UTCDateTime())
    stmt = _insert(db).values(key_hash=key_for(username), failures=1, window_start=now, locked_until=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[row.key_hash],
        set_={
            "failures": case((stale, 1), else_=counted),
            "window_start": case((stale, at), else_=row.window_start),
            "locked_until": case(
                (stale, null()),
                (counted >= MAX_ATTEMPTS, case((row.locked_until.is_(None), lock_end), else_=row.locked_until)),
                else_=row.locked_until,
            ),
        },
    ).returning(row.failures)
    return int((await db.execute(stmt)).scalar_one())


async def locked_until(db: AsyncSession, username: str, now: datetime) -> datetime | None:
    """When the lock for ``username`` ends, or None when it may try."""
    until = await db.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key_hash == key_for(username)))
    return until if until is not None and until > now else None


async def clear(db: AsyncSession, username: str) -> None:
    await db.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key_for(username)))
