"""Suppression that holds across the whole grid of offices and periods.

An evaluator may ask for any office or all offices, and any period of the grid
(``feedback.periods``). Each request on its own is easy to protect; together they are
linear relations (all offices = the sum of the offices, a year = its half-years = its
quarters = its months), and a cell hidden in one request could be computed from cells
shown in others. So the decision is not taken per request: for one group and one
population (respondents of a questionnaire version, answer channels, offers, sessions,
caseworker ratings) the whole grid is planned once from the moved ballots, and every
request reads from that plan. The same cell is always shown or always hidden.

The rule (a partition of the grid into blocks):

1. The positions office x month are split into **blocks**. Each block holds at least
   ``MIN_CELL`` units; blocks come from splitting periods into their sub-periods and
   periods into offices, each split with the small-cell rule of ``feedback.suppression``
   (the small parts are pooled into one block of at least two parts and ``MIN_CELL``).
2. Within each block and question, the categories are suppressed as one distribution
   (``suppress_counts``): each shown category is an **atom**, the hidden ones together are
   one atom of at least two categories and ``MIN_CELL`` answers.
3. A cell (office or all, period, category or n) is **shown exactly when it is a union
   of atoms**: its positions are whole blocks, and its category is shown in each.

Why nothing hidden can be computed: every shown cell is a sum of atoms, so anything an
attacker computes from shown cells (any linear combination) is constant on each atom.
A hidden cell is not a union of atoms, so it cuts through some atom; moving one answer
between the atom's part inside and outside the cell changes the hidden cell and no shown
one. ``tests/test_grid.py`` checks this by solving the linear system exactly.

How the blocks are cut is a choice of what to keep; ``plan`` chooses, period by period
from ``all`` down, whether to split a period further in time (finer trend for all
offices) or to stop and split it by office (more office figures), whichever shows more
cells of the grid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from feedback.periods import Period, periods_of
from feedback.suppression import MIN_CELL, shown, suppress_counts

__all__ = [
    "ALL_OFFICES",
    "MIN_CELL",
    "Block",
    "Layout",
    "GridTable",
    "plan",
    "tabulate",
    "totals_of",
    "count_rows",
    "grid_table",
]

ALL_OFFICES = None  # the office of a cell that covers every office
Position = tuple[int, str]  # (office, month)


@dataclass(frozen=True)
class Block:
    """Offices x months whose total is published only as a whole (or as part of a larger cell)."""

    offices: frozenset[int]
    months: frozenset[str]

    def positions(self) -> Iterable[Position]:
        return ((o, m) for o in self.offices for m in self.months)


@dataclass(frozen=True)
class Layout:
    """The blocks of one group and population over ``offices`` x ``calendar``."""

    offices: tuple[int, ...]
    calendar: tuple[str, ...]
    blocks: tuple[Block, ...]
    totals: Mapping[Position, int]
    _index: dict[Position, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for number, block in enumerate(self.blocks):
            for position in block.positions():
                self._index[position] = number

    def periods(self) -> tuple[Period, ...]:
        return periods_of(self.calendar)

    def blocks_of(self, office: int | None, period: Period) -> tuple[Block, ...] | None:
        """The blocks a cell is made of, or None when it cuts through a block."""
        return _blocks_of(self._index, self.blocks, _offices(self.offices, office), period.months(self.calendar))

    def n(self, office: int | None, period: Period) -> int | None:
        """The units of a cell, or None when it is hidden."""
        blocks = self.blocks_of(office, period)
        if not blocks:
            return None
        total = sum(self.totals.get(p, 0) for b in blocks for p in b.positions())
        return total if shown(total) else None


def _offices(offices: Sequence[int], office: int | None) -> frozenset[int]:
    if office is ALL_OFFICES:
        return frozenset(offices)
    return frozenset({office}) if office in offices else frozenset()


def _blocks_of(
    index: Mapping[Position, int], blocks: Sequence[Block], offices: frozenset[int], months: Sequence[str]
) -> tuple[Block, ...] | None:
    chosen: dict[int, Block] = {}
    wanted = frozenset(months)
    for office in offices:
        for month in months:
            number = index[(office, month)]
            if number in chosen:
                continue
            block = blocks[number]
            if not (block.offices <= offices and block.months <= wanted):
                return None
            chosen[number] = block
    return tuple(chosen.values())


Counts = Mapping[tuple[int, str, str], int]  # (office, month, category) -> units
Question = tuple[Counts, Sequence[str]]  # the counts and the categories of one question


class _Planner:
    """Cuts offices x calendar into blocks, from ``all`` down (see ``plan``)."""

    def __init__(
        self,
        totals: Mapping[Position, int],
        offices: tuple[int, ...],
        calendar: tuple[str, ...],
        questions: Sequence[Question],
    ) -> None:
        self.totals = totals
        self.offices = offices
        self.calendar = calendar
        self.questions = questions
        self.periods = periods_of(calendar)
        self.months = {p: p.months(calendar) for p in self.periods}
        self.children: dict[Period, list[Period]] = {p: [] for p in self.periods}
        for period in self.periods:
            parent = period.parent()
            if parent is not None and parent in self.children:
                self.children[parent].append(period)
        self._shown: dict[Block, tuple[frozenset[str], ...]] = {}

    def total(self, offices: Iterable[int], months: Iterable[str]) -> int:
        months = tuple(months)
        return sum(self.totals.get((o, m), 0) for o in offices for m in months)

    def split(self, offices: frozenset[int], kids: Sequence[Period]) -> dict[Period, int | None]:
        """The sub-periods under the small-cell rule: None marks one pooled into the rest."""
        published = suppress_counts({k.key: self.total(offices, self.months[k]) for k in kids})
        return {k: published[k.key] for k in kids}

    def best(self, period: Period) -> list[Block]:
        """The blocks of all offices x ``period`` that show the most cells inside it."""
        months = self.months[period]
        kids = self.children[period]
        if len(kids) == 1 and self.months[kids[0]] == months:
            return self.best(kids[0])  # the same months under another name
        # Candidates, finest first (the first of equal scores wins): split in time, split by
        # office, or keep the period whole for all offices.
        candidates = [self.by_office(frozenset(months), period), [Block(frozenset(self.offices), frozenset(months))]]
        parts = self.split(frozenset(self.offices), kids)
        if any(count is not None for count in parts.values()):
            split: list[Block] = []
            for kid in kids:
                if parts[kid] is not None:
                    split += self.best(kid)
            pooled = frozenset(m for kid in kids if parts[kid] is None for m in self.months[kid])
            if pooled:
                split += self.by_office(pooled, None)
            candidates.insert(0, split)
        return max(candidates, key=lambda blocks: self.score(blocks, None, period))

    def by_office(self, months: frozenset[str], period: Period | None) -> list[Block]:
        """All offices x ``months`` split by office; a shown office of a grid period is then
        split further in time on its own."""
        every = frozenset(self.offices)
        if not shown(self.total(every, months)):
            return [Block(every, months)]
        parts = suppress_counts({str(o): self.total((o,), months) for o in self.offices})
        pooled = frozenset(o for o in self.offices if parts[str(o)] is None)
        blocks = [Block(pooled, months)] if pooled else []
        for office in self.offices:
            if parts[str(office)] is not None:
                blocks += self.in_time(office, period) if period is not None else [Block(frozenset({office}), months)]
        return blocks

    def in_time(self, office: int, period: Period) -> list[Block]:
        """One office's ``period``: whole, or split into sub-periods (as far as the small-cell
        rule allows), whichever shows more of the office's cells."""
        months = self.months[period]
        kids = self.children[period]
        own = frozenset({office})
        stop = [Block(own, frozenset(months))]
        if len(kids) == 1 and self.months[kids[0]] == months:
            return self.in_time(office, kids[0])
        parts = self.split(own, kids)
        if all(count is None for count in parts.values()):
            return stop
        split: list[Block] = []
        for kid in kids:
            if parts[kid] is not None:
                split += self.in_time(office, kid)
        pooled = frozenset(m for kid in kids if parts[kid] is None for m in self.months[kid])
        if pooled:
            split.append(Block(own, pooled))
        return split if self.score(split, office, period) >= self.score(stop, office, period) else stop

    def shown_in(self, block: Block) -> tuple[frozenset[str], ...]:
        if block not in self._shown:
            self._shown[block] = tuple(
                _categories_shown(counts, categories, block) for counts, categories in self.questions
            )
        return self._shown[block]

    def score(self, blocks: list[Block], office: int | None, period: Period) -> int:
        """How many cells the blocks show within ``period``: the n's and every question's
        categories, of ``office`` (None: each office and all offices)."""
        index = {p: i for i, block in enumerate(blocks) for p in block.positions()}
        inside = [p for p in self.periods if set(self.months[p]) <= set(self.months[period])]
        count = 0
        for asked in (*self.offices, ALL_OFFICES) if office is None else (office,):
            wanted = _offices(self.offices, asked)
            for sub in inside:
                cell = _blocks_of(index, blocks, wanted, self.months[sub])
                if not cell or not shown(sum(self.totals.get(p, 0) for b in cell for p in b.positions())):
                    continue
                # A cell weighs its months and offices: reports are written per quarter and
                # year, and for all offices, so those figures go before a month of one office.
                weight = len(self.months[sub]) * len(wanted)
                count += weight
                for number, (_counts, categories) in enumerate(self.questions):
                    count += weight * sum(1 for c in categories if all(c in self.shown_in(b)[number] for b in cell))
        return count


def _categories_shown(counts: Counts, categories: Sequence[str], block: Block) -> frozenset[str]:
    """The categories a block publishes: one distribution under the small-cell rule."""
    within = {c: sum(counts.get((o, m, c), 0) for o, m in block.positions()) for c in categories}
    if not shown(sum(within.values())):
        return frozenset()
    return frozenset(c for c, value in suppress_counts(within).items() if value is not None)


def plan(
    totals: Mapping[Position, int],
    offices: Sequence[int],
    calendar: Sequence[str],
    questions: Sequence[Question] = (),
) -> Layout:
    """The blocks for units counted per (office, month) in ``totals``.

    ``offices`` are every office an evaluator can ask for (answers without an office count
    under a pseudo-office of their own that is never asked for); ``calendar`` the months
    the grid covers, consecutive (``feedback.periods.month_span``). ``questions`` (counts
    per office, month and category of the same units, with their categories) weigh the
    choice of blocks: a finer block may hide a category its coarser cell would show.
    """
    offices, calendar = tuple(sorted(set(offices))), tuple(calendar)
    if not offices or not calendar:
        return Layout(offices, calendar, (), dict(totals))
    planner = _Planner(totals, offices, calendar, questions)
    return Layout(offices, calendar, tuple(planner.best(Period("all"))), dict(totals))


@dataclass(frozen=True)
class GridTable:
    """One question (or channel, outcome, …) of one group over the grid: counts per
    (office, month, category), published through the layout's atoms."""

    layout: Layout
    categories: tuple[str, ...]
    counts: Mapping[tuple[int, str, str], int]
    shown_in: Mapping[Block, frozenset[str]]

    def n(self, office: int | None, period: Period) -> int | None:
        return self.layout.n(office, period)

    def count(self, office: int | None, period: Period, category: str) -> int | None:
        """The count of ``category`` in a cell, or None when it is hidden."""
        blocks = self.layout.blocks_of(office, period)
        if not blocks or self.n(office, period) is None:
            return None
        if any(category not in self.shown_in[b] for b in blocks):
            return None
        return sum(self.counts.get((o, m, category), 0) for b in blocks for o, m in b.positions())

    def distribution(self, office: int | None, period: Period) -> dict[str, int | None]:
        return {c: self.count(office, period, c) for c in self.categories}


def tabulate(layout: Layout, counts: Mapping[tuple[int, str, str], int], categories: Sequence[str]) -> GridTable:
    """A question over ``layout`` from the counts per (office, month, category).

    ``layout`` must have been planned from the same units (``totals_of(counts)``): the n's
    and the categories are then one linear system, and the atoms hold for both.
    """
    if totals_of(counts) != {p: t for p, t in layout.totals.items() if t}:
        raise ValueError("the counts are not the units the layout was planned from")
    shown_in = {block: _categories_shown(counts, categories, block) for block in layout.blocks}
    return GridTable(layout, tuple(categories), dict(counts), shown_in)


def totals_of(counts: Mapping[tuple[int, str, str], int]) -> dict[Position, int]:
    """Units per (office, month) of counts per (office, month, category)."""
    totals: dict[Position, int] = {}
    for (office, month, _category), count in counts.items():
        if count:
            totals[(office, month)] = totals.get((office, month), 0) + count
    return totals


def count_rows(rows: Iterable[tuple[int, str, str]]) -> dict[tuple[int, str, str], int]:
    """Counts per (office, month, category) of one row per unit."""
    counts: dict[tuple[int, str, str], int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    return counts


def grid_table(
    counts: Mapping[tuple[int, str, str], int],
    categories: Sequence[str],
    offices: Sequence[int],
    calendar: Sequence[str],
) -> GridTable:
    """A population with one question: planned and tabulated in one go."""
    return tabulate(plan(totals_of(counts), offices, calendar, [(counts, categories)]), counts, categories)
