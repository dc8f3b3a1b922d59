"""The attacker of the grid: every cell an evaluator can request, solved as a linear system.

A published cell (office or all offices, period, category or the n) is the sum of the
unknown counts x[office, month, category] it covers. The attacker knows the value of
every shown cell; a hidden cell is recovered exactly when its vector of coefficients lies
in the row space of the shown cells' vectors. ``recovered`` decides that with exact
rational Gaussian elimination (``fractions.Fraction``), never with floating point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from feedback.periods import Period, periods_of

Vector = dict[int, Fraction]
# (office or None, period, category or "" for the n) -> published count or None
Publisher = Callable[[int | None, Period, str], int | None]


class RowSpace:
    """Rows in echelon form, each keyed by its pivot (its smallest column), pivot 1."""

    def __init__(self) -> None:
        self.rows: dict[int, Vector] = {}

    def reduce(self, vector: Vector) -> Vector:
        v = dict(vector)
        while True:
            pivots = [c for c in v if c in self.rows]
            if not pivots:
                return v
            column = min(pivots)
            factor = v[column]
            for c, value in self.rows[column].items():
                updated = v.get(c, Fraction(0)) - factor * value
                if updated:
                    v[c] = updated
                else:
                    v.pop(c, None)

    def add(self, vector: Vector) -> None:
        v = self.reduce(vector)
        if not v:
            return
        pivot = min(v)
        scale = v[pivot]
        self.rows[pivot] = {c: value / scale for c, value in v.items()}

    def contains(self, vector: Vector) -> bool:
        return not self.reduce(vector)


def cells(
    offices: Sequence[int], calendar: Sequence[str], categories: Sequence[str]
) -> list[tuple[int | None, Period, str]]:
    """Every request an evaluator can make: each office and all offices, every period of
    the grid, each category and the n ("")."""
    return [
        (office, period, category)
        for office in (*offices, None)
        for period in periods_of(calendar)
        for category in ("", *categories)
    ]


def recovered(
    publish: Publisher, offices: Sequence[int], calendar: Sequence[str], categories: Sequence[str]
) -> list[tuple[int | None, Period, str]]:
    """The hidden cells whose value follows from the shown ones."""
    column = {
        (o, m, c): i for i, (o, m, c) in enumerate((o, m, c) for o in offices for m in calendar for c in categories)
    }

    def vector(office: int | None, period: Period, category: str) -> Vector:
        chosen = offices if office is None else (office,)
        kinds = categories if category == "" else (category,)
        months = period.months(calendar)
        return {column[(o, m, c)]: Fraction(1) for o in chosen for m in months for c in kinds}

    space = RowSpace()
    hidden = []
    for cell in cells(offices, calendar, categories):
        if publish(*cell) is None:
            hidden.append(cell)
        else:
            space.add(vector(*cell))
    return [cell for cell in hidden if space.contains(vector(*cell))]
