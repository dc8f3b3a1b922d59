"""The fixed grid of reporting periods: month, quarter, half-year, year and ``all``.

Evaluations are published for these periods only (``2026-07``, ``2026-Q3``, ``2026-H2``,
``2026``, ``all``), never for a free date range: two overlapping ranges differ by a sliver
that the suppression over the grid (``feedback.grid``) never looked at, so a range would
reopen differencing. Every period is a set of calendar months in Europe/Berlin, the only
time an answer carries (``feedback.months``).

The periods nest into one tree: ``all`` > years > half-years > quarters > months.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from feedback.errors import BadPeriod
from feedback.months import month_bounds, month_of
from feedback.tokens import TOKEN_LIFETIME

__all__ = [
    "KINDS",
    "ALL",
    "Period",
    "parse_period",
    "month_span",
    "periods_of",
    "closed_through",
]

KINDS = ("all", "year", "half", "quarter", "month")
ALL = "all"
_PATTERNS = (
    ("month", re.compile(r"^([1-9]\d{3})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^([1-9]\d{3})-Q([1-4])$")),
    ("half", re.compile(r"^([1-9]\d{3})-H([12])$")),
    ("year", re.compile(r"^([1-9]\d{3})$")),
)
_SPAN = {"month": 1, "quarter": 3, "half": 6, "year": 12}
# Answers arrive until the token expires (midnight after 14 days) and wait in the ballot box
# for at most a day or two more; a month is complete this long after it ended.
_SETTLING = TOKEN_LIFETIME + timedelta(days=3)


@dataclass(frozen=True, order=True)
class Period:
    """One period of the grid. ``year`` and ``index`` are 0 for ``all``; ``index`` is the
    month (1-12), quarter (1-4) or half (1-2) within the year, 1 for a year."""

    kind: str
    year: int = 0
    index: int = 0

    @property
    def key(self) -> str:
        """The period as written on the wire: ``2026-07``, ``2026-Q3``, ``2026-H2``, ``2026``, ``all``."""
        if self.kind == "all":
            return ALL
        if self.kind == "year":
            return str(self.year)
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        return f"{self.year}-{'Q' if self.kind == 'quarter' else 'H'}{self.index}"

    def contains(self, month: str) -> bool:
        """Whether the ``YYYY-MM`` month lies in this period."""
        if self.kind == "all":
            return True
        year, number = int(month[:4]), int(month[5:7])
        span = _SPAN[self.kind]
        return year == self.year and (number - 1) // span + 1 == self.index

    def months(self, calendar: Sequence[str]) -> tuple[str, ...]:
        """The months of ``calendar`` this period holds, in order."""
        return tuple(m for m in calendar if self.contains(m))

    def parent(self) -> Period | None:
        """The next coarser period (a month's quarter, …, a year's ``all``); None for ``all``."""
        if self.kind == "all":
            return None
        if self.kind == "year":
            return Period("all")
        coarser = KINDS[KINDS.index(self.kind) - 1]
        first = (self.index - 1) * _SPAN[self.kind] + 1  # first month number of this period
        span = _SPAN[coarser]
        return Period(coarser, self.year, 1 if coarser == "year" else (first - 1) // span + 1)

    def __str__(self) -> str:
        return self.key


def parse_period(value: str) -> Period:
    """The period ``value`` names; anything else (a range, a day, a typo) raises BadPeriod."""
    if value == ALL:
        return Period("all")
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if match:
            year = int(match.group(1))
            index = int(match.group(2)) if match.lastindex == 2 else 1
            return Period(kind, year, index)
    raise BadPeriod(value)


def month_span(first: str, last: str) -> tuple[str, ...]:
    """Every ``YYYY-MM`` month from ``first`` to ``last``, both included (empty if reversed)."""
    for value in (first, last):
        if parse_period(value).kind != "month":
            raise BadPeriod(value)
    year, number = int(first[:4]), int(first[5:7])
    months = []
    while f"{year}-{number:02d}" <= last:
        months.append(f"{year}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return tuple(months)


def periods_of(calendar: Sequence[str]) -> tuple[Period, ...]:
    """Every grid period holding at least one month of ``calendar``: ``all`` first, then
    years, half-years, quarters and months, each in calendar order."""
    found: set[Period] = set()
    for month in calendar:
        period: Period | None = parse_period(month)
        while period is not None:
            found.add(period)
            period = period.parent()
    return tuple(sorted(found, key=lambda p: (KINDS.index(p.kind), p.year, p.index)))


def closed_through(now: datetime) -> str:
    """The last month whose answers are complete at ``now`` (Berlin months): it ended at
    least the settling time (token lifetime and the ballot box's wait) ago. Publishing only
    closed months keeps a published cell from changing under a later request."""
    month = _previous(month_of(now))
    _start, end = month_bounds(month)
    return month if end + _SETTLING <= now else _previous(month)


def _previous(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
