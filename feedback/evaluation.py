"""The whole evaluation: per group its report and further tables, and the comparison.

Every table belongs to exactly one group, except the comparison, which holds differences
SGB II − SGB III and never a share of both groups together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedback.cells import Cell
from feedback.channels import channel_cells
from feedback.comparison import Difference, compare
from feedback.effort import effort_cells
from feedback.equipment import equipment_cells
from feedback.gap import gap_cells
from feedback.questionnaire import Answers, Rating
from feedback.reasons import reason_cells, reason_counts
from feedback.report import GroupReport
from feedback.trend import SERIES, trend_cells

__all__ = ["TABLES", "GroupInputs", "GroupDetails", "Evaluation", "build_details", "build_evaluation"]

TABLES = ("gap", "reasons", "equipment", "channels", "effort", "trend")


@dataclass(frozen=True)
class GroupInputs:
    """What one group's further tables are computed from (already filtered)."""

    responses: Sequence[tuple[str, Answers | Any]]  # (month, answers)
    ratings: Sequence[Rating]
    sessions: Sequence[tuple[str, str]]  # (month ended, outcome)
    checks: Mapping[tuple[str, str, str], int]  # (month, device class, verdict) → count


@dataclass(frozen=True)
class GroupDetails:
    group: str
    tables: dict[str, tuple[Cell, ...]] = field(default_factory=dict)

    def table(self, name: str) -> tuple[Cell, ...]:
        return self.tables.get(name, ())

    def cell(self, table: str, metric: str, category: str = "", month: str = "") -> Cell:
        for item in self.table(table):
            if (item.metric, item.category, item.month) == (metric, category, month):
                return item
        raise KeyError((table, metric, category, month))

    def months(self, table: str) -> list[str]:
        return sorted({c.month for c in self.table(table) if c.month})


@dataclass(frozen=True)
class Evaluation:
    reports: tuple[GroupReport, ...]
    details: tuple[GroupDetails, ...]
    comparison: tuple[Difference, ...]

    def detail(self, group: str) -> GroupDetails:
        return next(d for d in self.details if d.group == group)


def _monthly(pairs: Sequence[tuple[str, bool]]) -> dict[str, tuple[int, int]]:
    series: dict[str, tuple[int, int]] = {}
    for month, yes in pairs:
        count, n = series.get(month, (0, 0))
        series[month] = (count + int(yes), n + 1)
    return series


def build_details(report: GroupReport, inputs: GroupInputs) -> GroupDetails:
    """Every further table of one group."""
    answers = [a for _m, a in inputs.responses]
    reasons = reason_counts(answers)
    trend: list[Cell] = []
    for metric, (source, category) in SERIES.items():
        if source == "outcome":
            pairs = [(month, outcome == category) for month, outcome in inputs.sessions]
        else:
            pairs = [(month, getattr(a, source) == category) for month, a in inputs.responses]
        trend += trend_cells(metric, _monthly(pairs))
    tables = {
        "gap": tuple(gap_cells(report, answers)),
        "reasons": tuple(reason_cells(*reasons)) if reasons is not None else (),
        "equipment": tuple(equipment_cells(inputs.checks)),
        "channels": tuple(channel_cells(report)),
        "effort": tuple(effort_cells(inputs.ratings)),
        "trend": tuple(trend),
    }
    return GroupDetails(report.group, tables)


def build_evaluation(reports: Sequence[GroupReport], details: Sequence[GroupDetails]) -> Evaluation:
    return Evaluation(tuple(reports), tuple(details), compare(reports))
