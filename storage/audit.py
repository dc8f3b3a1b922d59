"""The audit log: logins, consent withdrawals, purges. Never personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow

__all__ = ["audit"]


async def audit(db: AsyncSession, event: str, now: datetime, detail: str = "") -> None:
    db.add(AuditRow(at=now, event=event, detail=detail))
    await db.flush()
