"""What the evaluation's further tables read: months of answers, sessions and pre-call checks."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.evaluation import Evaluation, GroupInputs, build_details, build_evaluation
from feedback.months import month_bounds, month_of
from feedback.questionnaire import VERSION
from storage import feedback as store
from storage.models import CheckVerdictRow, CounselSessionRow

__all__ = ["session_months", "check_counts", "group_inputs", "evaluation"]


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


async def group_inputs(
    db: AsyncSession, group: str, *, office_id: int | None = None, month: str | None = None
) -> GroupInputs:
    stored = await store.responses(db, group, office_id=office_id, month=month)
    return GroupInputs(
        responses=[(s.context.month, s.answers) for s in stored],
        ratings=await store.ratings(db, group, office_id=office_id, month=month),
        sessions=await session_months(db, group, office_id=office_id, month=month),
        checks=await check_counts(db, group, month=month),
    )


async def evaluation(
    db: AsyncSession,
    groups: tuple[str, ...],
    *,
    office_id: int | None = None,
    month: str | None = None,
    version: str = VERSION,
) -> Evaluation:
    """Report, further tables and (with both groups) the comparison, for the filters given;
    the report's answers are those of questionnaire ``version`` (versions are never pooled)."""
    reports = [await store.group_report(db, g, office_id=office_id, month=month, version=version) for g in groups]
    details = [build_details(r, await group_inputs(db, r.group, office_id=office_id, month=month)) for r in reports]
    return build_evaluation(reports, details)
