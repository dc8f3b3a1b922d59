"""Reporting: the evaluation page, its print view, the exports and ``videoberatung export``.

Each use case reads in one transaction; the figures are computed here from the rows the
stores return (``storage.feedback``, ``storage.evaluation`` only read rows). The answers
are read once per request, for every group asked for at once; SGB II and SGB III are
still reported apart, never pooled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from feedback import export
from feedback.errors import PooledRequest, TooFewAnswers
from feedback.evaluation import Evaluation, GroupInputs, build_details, build_evaluation
from feedback.months import month_bounds
from feedback.questionnaire import VERSION
from feedback.report import GROUPS, GroupReport, build_report, require_group
from feedback.suppression import shown
from storage import evaluation as evaluation_rows
from storage import feedback as feedback_rows

__all__ = ["Filters", "evaluation", "evaluation_page", "export_figures", "export_responses", "offices"]


@dataclass(frozen=True)
class Filters:
    """Which answers a report counts: one office or all, one month or all, one version."""

    office_id: int | None = None
    month: str | None = None
    version: str = VERSION

    def as_export(self) -> dict[str, Any]:
        return {"office": self.office_id, "month": self.month, "questionnaire_version": self.version}


async def _group(
    db: AsyncSession, group: str, stored: list[feedback_rows.StoredResponse], filters: Filters
) -> tuple[GroupReport, GroupInputs]:
    """One group's report and the inputs of its further tables, from its answers read already."""
    office_id, month = filters.office_id, filters.month
    since, until = month_bounds(month) if month else (None, None)
    rated = await feedback_rows.ratings(db, group, office_id=office_id, month=month)
    report = build_report(
        group,
        [r.answers for r in stored if r.version == filters.version],
        rated,
        await feedback_rows.session_outcomes(db, group, office_id=office_id, since=since, until=until),
        version=filters.version,
        offers=await feedback_rows.offer_counts(db, group, office_id=office_id, month=month),
        # Response rates count the answers of every version.
        answer_channels=[r.context.channel for r in stored],
    )
    inputs = GroupInputs(
        responses=[(s.context.month, s.answers) for s in stored],
        ratings=rated,
        sessions=await evaluation_rows.session_months(db, group, office_id=office_id, month=month),
        checks=await evaluation_rows.check_counts(db, group, month=month),
    )
    return report, inputs


async def _evaluate(db: AsyncSession, groups: tuple[str, ...], filters: Filters) -> Evaluation:
    stored = await feedback_rows.responses(db, groups, office_id=filters.office_id, month=filters.month)
    parts = [await _group(db, g, [s for s in stored if s.context.group == g], filters) for g in groups]
    return build_evaluation([r for r, _ in parts], [build_details(r, inputs) for r, inputs in parts])


async def evaluation(db: async_sessionmaker[AsyncSession], groups: tuple[str, ...], filters: Filters) -> Evaluation:
    """Report, further tables and (with both groups) the comparison, for the filters given;
    the report's answers are those of questionnaire ``filters.version`` (versions are never pooled)."""
    for group in groups:
        require_group(group)
    async with db() as session:
        return await _evaluate(session, groups, filters)


async def evaluation_page(
    db: async_sessionmaker[AsyncSession], filters: Filters
) -> tuple[Evaluation, list[tuple[int, str]]]:
    """The evaluation page and its print view: both groups side by side, and the offices
    to filter by, read in one transaction."""
    async with db() as session:
        return await _evaluate(session, GROUPS, filters), await feedback_rows.offices(session)


async def offices(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, str]]:
    """(id, name) of every office, by name: the filter's choices."""
    async with db() as session:
        return await feedback_rows.offices(session)


async def export_responses(
    db: async_sessionmaker[AsyncSession], groups: tuple[str, ...], filters: Filters, fmt: str
) -> bytes:
    """One group's anonymised answers; ``TooFewAnswers`` below the smallest cell shown."""
    if len(groups) != 1:
        raise PooledRequest(groups)
    group = require_group(groups[0])
    async with db() as session:
        stored = await feedback_rows.responses(session, (group,), office_id=filters.office_id, month=filters.month)
    rows = export.anonymous_rows(feedback_rows.records(stored))
    if not shown(len(rows)):
        raise TooFewAnswers()
    return export.export_responses(group, rows, fmt)


async def export_figures(
    db: async_sessionmaker[AsyncSession],
    groups: tuple[str, ...],
    filters: Filters,
    fmt: str,
    *,
    comparison: bool = False,
    name_version: bool = True,
) -> bytes:
    """The figures of the groups asked for, each kept apart (or the comparison of both);
    ``name_version`` names the questionnaire version among the filters written out."""
    if not comparison and (not groups or len(set(groups)) != len(groups)):
        raise PooledRequest(groups)
    result = await evaluation(db, GROUPS if comparison else groups, filters)
    if comparison:
        return export.export_comparison(result, fmt, {"office": filters.office_id, "month": filters.month})
    named = filters.as_export() if name_version else {"office": filters.office_id, "month": filters.month}
    return export.export_reports(list(result.reports), fmt, named, evaluation=result)
