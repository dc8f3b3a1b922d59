"""One request's report read from the grid: the same shapes the page and exports use today.

``grid_report`` gives a ``GroupReport`` and ``grid_details`` a ``GroupDetails`` for one
office (or all offices) and one period of the grid, so ``feedback.comparison.compare``,
``feedback.channels.channel_cells``, the charts and the exports work on them unchanged;
only the numbers now come from the plan over the whole grid (``feedback.grid``).
"""

from __future__ import annotations

from dataclasses import replace

from feedback.cells import Cell, hidden, share
from feedback.channels import channel_cells
from feedback.equipment import equipment_cells
from feedback.evaluation import GroupDetails
from feedback.grid import ALL_OFFICES, GridTable
from feedback.grid_figures import (
    SCALE,
    VIDEO_ONLY,
    GroupGrid,
    asked_base,
    gap_cell,
    mean_figure,
    reason_cells,
    response_rates,
    trend_cells,
)
from feedback.periods import Period
from feedback.questionnaire import NOT_ASKED
from feedback.reasons import ALIASES
from feedback.report import Figure, GroupReport
from feedback.statistics import wilson
from feedback.trend import SERIES

__all__ = ["grid_report", "grid_details"]


def _distribution(table: GridTable, metric: str, office: int | None, period: Period) -> list[Figure]:
    n = table.n(office, period)
    categories = table.categories
    if metric in VIDEO_ONLY:  # shares over those asked: after a video session
        n = asked_base(table, office, period)
        categories = tuple(c for c in categories if c != NOT_ASKED)
    figures = []
    for category in categories:
        count = table.count(office, period, category)
        if count is None or n is None:
            figures.append(Figure(metric, category, None, None, None, None, None, True))
            continue
        interval = wilson(count, n)
        figures.append(Figure(metric, category, n, count, interval.estimate, interval.low, interval.high, False))
    return figures


def grid_report(grid: GroupGrid, office: int | None, period: Period) -> GroupReport:
    """The figures of one group in one cell of the grid (``office`` None: all offices)."""
    figures: list[Figure] = []
    for metric, table in grid.questions.items():
        if metric not in ("satisfaction", "technical_quality"):
            figures += _distribution(table, metric, office, period)
    gap = gap_cell(grid, office, period)
    figures.append(Figure("recommend_minus_next", "", gap.n, None, gap.estimate, None, None, gap.suppressed))
    for metric in ("satisfaction", "technical_quality"):
        figures.append(mean_figure(grid.questions[metric], metric, office, period))
    for metric, table in grid.ratings.items():
        figures.append(mean_figure(table, f"rating_{metric}", office, period))
    figures += _distribution(grid.outcomes, "outcome", office, period)
    figures += response_rates(grid, office, period)
    respondents = next(iter(grid.questions.values())).n(office, period)
    return GroupReport(grid.group, respondents, tuple(figures), grid.version)


def _ratings(grid: GroupGrid, office: int | None, period: Period) -> list[Cell]:
    cells = []
    for metric, table in grid.ratings.items():
        n = table.n(office, period)
        for step in SCALE:
            count = table.count(office, period, step)
            if count is None or n is None:
                cells.append(hidden("effort", metric, step))
            else:
                cells.append(share("effort", metric, step, count, n))
    return cells


def grid_details(grid: GroupGrid, report: GroupReport, office: int | None, period: Period) -> GroupDetails:
    """The further tables of one group in one cell: the gap, the reasons, the channels, the
    caseworkers' ratings, and the trend over the months of ``period`` (over its quarters
    when the period is a year, a half-year or ``all``), and for all offices only the
    equipment from the pre-call checks (they carry no office: no figure per office)."""
    kind = "month" if period.kind in ("month", "quarter") else "quarter"
    trend: list[Cell] = []
    for metric, (source, category) in SERIES.items():
        table = grid.outcomes if source == "outcome" else grid.questions[source]
        trend += trend_cells(table, metric, category, office, kind, within=period)
    gap = gap_cell(grid, office, period)
    tables = {
        "gap": (replace(gap, month=""),),
        # the questionnaire's codes under the reasons table's names (``feedback.reasons``)
        "reasons": tuple(
            replace(c, category=ALIASES.get(c.category, c.category), month="")
            for c in reason_cells(grid, office, period)
        ),
        "equipment": tuple(equipment_cells(grid.equipment, period)) if office is ALL_OFFICES else (),
        "channels": tuple(channel_cells(report)),
        "effort": tuple(_ratings(grid, office, period)),
        "trend": tuple(trend),
    }
    return GroupDetails(grid.group, tables)
