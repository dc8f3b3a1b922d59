"""One published cell of the evaluation's further tables, and the rules that publish it.

A cell is a share (``count`` of ``n``, with its Wilson interval), a mean or a difference;
a suppressed cell carries no numbers at all. ``month`` is empty when the cell covers the
whole selection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from feedback.report import Figure
from feedback.statistics import wilson

__all__ = ["CELL_COLUMNS", "Cell", "placed", "share", "hidden", "cell_row"]

# "period": the month or quarter of a trend point (its grid key); empty elsewhere.
CELL_COLUMNS = ("table", "metric", "category", "period", "n", "count", "estimate", "low", "high", "suppressed", "note")


@dataclass(frozen=True, kw_only=True)
class Cell(Figure):
    """A figure placed in the further table ``table``; ``note`` qualifies a shown cell, e.g.
    ``interval_withheld`` or the BA band position."""

    table: str
    month: str = ""
    note: str = ""


def placed(figure: Figure, table: str, month: str = "", note: str = "") -> Cell:
    """``figure`` as a cell of the further table ``table``."""
    return Cell(**asdict(figure), table=table, month=month, note=note)


def share(table: str, metric: str, category: str, count: int, n: int, month: str = "", note: str = "") -> Cell:
    """``count / n`` with its Wilson 95 % interval (the caller has checked it may be shown)."""
    interval = wilson(count, n)
    figure = Figure(metric, category, n, count, interval.estimate, interval.low, interval.high, False)
    return placed(figure, table, month, note)


def hidden(table: str, metric: str, category: str = "", month: str = "") -> Cell:
    return Cell(metric, category, None, None, None, None, None, True, table=table, month=month)


def cell_row(cell: Cell) -> dict[str, Any]:
    """The cell as an export row, estimates rounded to four places."""
    fields = asdict(cell)
    row = {"table": fields.pop("table"), **fields}
    row["period"] = row.pop("month")
    for key in ("estimate", "low", "high"):
        if row[key] is not None:
            row[key] = round(row[key], 4)
    return row
