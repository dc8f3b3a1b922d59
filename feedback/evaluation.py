"""The whole evaluation: per group its report and further tables, and the comparison.

The report and the tables of one request are read from the grid (``feedback.grid_report``).

Every table belongs to exactly one group, except the comparison, which holds differences
SGB II − SGB III and never a share of both groups together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from feedback.cells import Cell
from feedback.comparison import Difference, compare
from feedback.report import GroupReport

__all__ = ["TABLES", "GroupDetails", "Evaluation", "build_evaluation"]

TABLES = ("gap", "reasons", "equipment", "channels", "effort", "trend")


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


def build_evaluation(reports: Sequence[GroupReport], details: Sequence[GroupDetails]) -> Evaluation:
    return Evaluation(tuple(reports), tuple(details), compare(reports))
