"""The audit log: logins, consent withdrawals, purges. Never personal data.

Each entry carries the office it concerns, so an office's admin reads only its own
entries. Unless the caller names it, it is the office of the first thing the detail
names (``office=``, ``user=``, ``session=``, ``booking=``); an entry that names none
belongs to no office and is read only by an admin of every office.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow, BookingRow, CounselSessionRow, User

__all__ = ["audit", "NO_OFFICE"]

NO_OFFICE = -1  # ``office_id=NO_OFFICE``: the entry concerns no office (not derived from the detail)

_NAMED = re.compile(r"\b(office|user|session|booking)=([0-9A-Za-z_-]+)")


async def _office_of(db: AsyncSession, detail: str) -> int | None:
    found = _NAMED.search(detail)
    if found is None:
        return None
    kind, key = found.groups()
    if kind == "office":
        return int(key) if key.isdigit() else None
    if kind == "user":
        return await db.scalar(select(User.office_id).where(User.id == int(key))) if key.isdigit() else None
    # A session or booking without an office of its own: its caseworker's office.
    row = CounselSessionRow if kind == "session" else BookingRow
    office: int | None = await db.scalar(
        select(func.coalesce(row.office_id, User.office_id))
        .join(User, User.id == row.caseworker_id)
        .where(row.id == key)
    )
    return office


async def audit(db: AsyncSession, event: str, now: datetime, detail: str = "", *, office_id: int | None = None) -> None:
    if office_id is None:
        office_id = await _office_of(db, detail)
    elif office_id == NO_OFFICE:
        office_id = None
    db.add(AuditRow(at=now, event=event, detail=detail, office_id=office_id))
    await db.flush()
