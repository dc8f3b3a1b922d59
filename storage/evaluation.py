"""Rows the evaluation's further tables read: sessions by month and pre-call checks
(the figures are computed in ``application.reporting``)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.months import month_bounds, month_of
from storage.models import CheckVerdictRow, CounselSessionRow

__all__ = ["session_months", "check_counts"]


async def session_months(
    db: AsyncSession, group: str, *, office_id: int | None = None, month: str | None = None
) -> list[tuple[str, str]]:
    """(Berlin month it ended, outcome) of the group's settled sessions."""
    stmt = select(CounselSessionRow.ended_at, CounselSessionRow.outcome).where(
        CounselSessionRow.benefit_group == group,
        CounselSessionRow.outcome.is_not(None),
        CounselSessionRow.ended_at.is_not(None),
    )
    if office_id is not None:
        stmt = stmt.where(CounselSessionRow.office_id == office_id)
    if month:
        since, until = month_bounds(month)
        stmt = stmt.where(CounselSessionRow.ended_at >= since, CounselSessionRow.ended_at < until)
    rows = (await db.execute(stmt)).all()
    return [(month_of(ended), str(outcome)) for ended, outcome in rows if ended is not None]


async def check_counts(db: AsyncSession, group: str, *, month: str | None = None) -> Counter[tuple[str, str, str]]:
    """(month, device class, verdict) → number of the group's pre-call checks (all offices)."""
    stmt = select(CheckVerdictRow.month, CheckVerdictRow.device_class, CheckVerdictRow.verdict).where(
        CheckVerdictRow.benefit_group == group
    )
    if month:
        stmt = stmt.where(CheckVerdictRow.month == month)
    return Counter((str(m), str(d), str(v)) for m, d, v in (await db.execute(stmt)).all())
