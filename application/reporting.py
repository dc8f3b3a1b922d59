"""Reporting: the evaluation page, its print view, the exports and ``videoberatung export``.

Every figure is read from the grid (``feedback.grid``): per group and questionnaire
version the suppression is planned once over every office x every closed month, from all
stored rows, and every request (one office or all, one period of the grid) reads its
cells from that plan, so the same cell is always shown or always hidden and no two
requests can be subtracted. Planning takes seconds; ``Reporting`` keeps each group's plan
until the data change (a cheap fingerprint, ``storage.evaluation.data_state``) or another
month closes. SGB II and SGB III are planned and reported apart, never pooled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from feedback import export
from feedback.errors import PooledRequest, TooFewAnswers
from feedback.evaluation import Evaluation, build_evaluation
from feedback.grid import ALL_OFFICES
from feedback.grid_figures import GroupGrid, build_group_grid
from feedback.grid_report import grid_details, grid_report
from feedback.periods import Period, closed_through, month_span
from feedback.questionnaire import VERSION
from feedback.report import GROUPS, require_group
from feedback.suppression import shown
from storage import evaluation as grid_rows
from storage import feedback as feedback_rows

__all__ = ["Filters", "Page", "Reporting"]


@dataclass(frozen=True)
class Filters:
    """Which cell of the grid a report shows: one office or all, one period, one version."""

    office_id: int | None = None
    period: Period = field(default_factory=lambda: Period("all"))
    version: str = VERSION

    def as_export(self, *, version: bool = True) -> dict[str, Any]:
        named: dict[str, Any] = {"office": self.office_id, "period": self.period.key}
        return {**named, "questionnaire_version": self.version} if version else named


@dataclass(frozen=True)
class Page:
    """What the page and its print view show: the evaluation, the offices to choose from
    and the months the grid covers (its periods are ``periods_of(calendar)``)."""

    evaluation: Evaluation
    offices: list[tuple[int, str]]
    calendar: tuple[str, ...]


@dataclass(frozen=True)
class _Rows:
    """Every row the grids of both groups are planned from."""

    ballots: dict[str, list[Any]]
    offers: dict[str, dict[tuple[int, str, str], int]]
    sessions: dict[str, list[tuple[int, str, str]]]
    ratings: dict[str, list[Any]]
    checks: dict[str, list[tuple[str, str, str]]]
    offices: list[int]

    def calendar(self, last: str) -> tuple[str, ...]:
        """Every month from the earliest in any table (both groups: one calendar) to ``last``."""
        months = [b.month for rows in self.ballots.values() for b in rows]
        months += [m for rows in self.offers.values() for (_o, m, _c) in rows]
        months += [m for rows in self.sessions.values() for (_o, m, _x) in rows]
        months += [m for rows in self.ratings.values() for (_o, m, _r) in rows]
        months += [m for rows in self.checks.values() for (m, _d, _v) in rows]
        return month_span(min(months), last) if months else ()


async def _read_rows(db: AsyncSession) -> _Rows:
    return _Rows(
        await grid_rows.ballots(db, GROUPS),
        await grid_rows.offers(db, GROUPS),
        await grid_rows.sessions(db, GROUPS),
        await grid_rows.ratings(db, GROUPS),
        await grid_rows.checks(db, GROUPS),
        await grid_rows.office_ids(db),
    )


class Reporting:
    """The reporting use cases, with the planned grids they share (one owner per process,
    made in the composition root; the CLI makes its own)."""

    def __init__(self, db: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._state: tuple[object, ...] | None = None
        self._grids: dict[tuple[str, str, str], GroupGrid] = {}
        self._calendar: tuple[str, ...] = ()
        self._lock = asyncio.Lock()
        self.plans = 0  # grids planned so far (each takes seconds): tests read it

    async def _grids_for(
        self, session: AsyncSession, groups: tuple[str, ...], version: str
    ) -> tuple[list[GroupGrid], tuple[str, ...]]:
        """The groups' grids, planned once per version, last closed month and data state."""
        last = closed_through(self._clock())
        async with self._lock:
            state = await grid_rows.data_state(session)
            if (state, last) != self._state:  # the data changed or another month closed
                self._state, self._grids, self._calendar = (state, last), {}, ()
            missing = [g for g in groups if (g, version, last) not in self._grids]
            if missing:
                rows = await _read_rows(session)
                calendar = rows.calendar(last)
                for group in missing:
                    self._grids[(group, version, last)] = await asyncio.to_thread(_plan, rows, group, version, calendar)
                    self.plans += 1
                self._calendar = calendar
            return [self._grids[(g, version, last)] for g in groups], self._calendar

    async def _evaluate(self, session: AsyncSession, groups: tuple[str, ...], filters: Filters) -> Evaluation:
        grids, _calendar = await self._grids_for(session, groups, filters.version)
        office = ALL_OFFICES if filters.office_id is None else filters.office_id
        reports = [grid_report(grid, office, filters.period) for grid in grids]
        details = [grid_details(g, r, office, filters.period) for g, r in zip(grids, reports, strict=True)]
        return build_evaluation(reports, details)

    async def evaluation(self, groups: tuple[str, ...], filters: Filters) -> Evaluation:
        """Report, further tables and (with both groups) the comparison of one cell of the
        grid; the report's answers are those of questionnaire ``filters.version``."""
        for group in groups:
            require_group(group)
        async with self._db() as session:
            return await self._evaluate(session, groups, filters)

    async def evaluation_page(self, filters: Filters) -> Page:
        """The evaluation page and its print view: both groups side by side, the offices
        and the grid's months, read in one transaction."""
        async with self._db() as session:
            result = await self._evaluate(session, GROUPS, filters)
            _grids, calendar = await self._grids_for(session, GROUPS, filters.version)
            return Page(result, await feedback_rows.offices(session), calendar)

    async def export_responses(self, groups: tuple[str, ...], office_id: int | None, fmt: str) -> bytes:
        """One group's anonymised answers (every month: no period filter); ``TooFewAnswers``
        below the smallest cell shown."""
        if len(groups) != 1:
            raise PooledRequest(groups)
        group = require_group(groups[0])
        async with self._db() as session:
            stored = await feedback_rows.responses(session, (group,), office_id=office_id)
        rows = export.anonymous_rows(feedback_rows.records(stored))
        if not shown(len(rows)):
            raise TooFewAnswers()
        return export.export_responses(group, rows, fmt)

    async def export_figures(
        self,
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
        result = await self.evaluation(GROUPS if comparison else groups, filters)
        if comparison:
            return export.export_comparison(result, fmt, filters.as_export(version=False))
        named = filters.as_export(version=name_version)
        return export.export_reports(list(result.reports), fmt, named, evaluation=result)


def _plan(rows: _Rows, group: str, version: str, calendar: tuple[str, ...]) -> GroupGrid:
    return build_group_grid(
        group,
        rows.ballots[group],
        rows.offices,
        calendar,
        version=version,
        offers=rows.offers[group],
        sessions=rows.sessions[group],
        ratings=rows.ratings[group],
        checks=rows.checks[group],
    )
