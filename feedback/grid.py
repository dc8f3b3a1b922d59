"""Suppression that holds across the whole grid of offices and periods.

An evaluator may ask for any office or all offices, and any period of the grid
(``feedback.periods``). Each request on its own is easy to protect; together they are
linear relations (all offices = the sum of the offices, a year = its half-years = its
quarters = its months), and a cell hidden in one request could be computed from cells
shown in others. So the decision is not taken per request: for one group and one
population (respondents of a questionnaire version, answer channels, offers, sessions,
caseworker ratings) the whole grid is planned once from the moved ballots, and every
request reads from that plan. The same cell is always shown or always hidden.

The rule (``docs/evaluation.md``, "The grid"):

1. **Blocks for the n's.** The positions office x month are cut into blocks of at least
   ``MIN_CELL`` units, from ``all`` down: a period is split into its sub-periods, or by
   office, or kept whole, each split under the small-cell rule of ``feedback.suppression``
   (small parts pooled: at least two and ``MIN_CELL`` together).
2. **Super-blocks per question.** Each question joins blocks into super-blocks (unions of
   blocks); within each, its categories are one distribution under the small-cell rule.
3. A cell is **shown exactly when it is made of whole pieces**: its n when it is a union
   of blocks, a category's count when it is a union of super-blocks that each show it.

Why nothing hidden can be computed: for every hidden cell some change of the data keeps
every shown cell and changes the hidden one. A cell that cuts a block: move one answer
between the block's part inside and outside it. A count that cuts a super-block (but not
a block): move one answer of its category from one block of the super-block to another,
and one answer of a second category back. A count whose category a super-block hides:
swap it with another hidden category at the same place. Every such change keeps each
block's n, so other questions of the same units do not see it either.
``tests/test_grid.py`` checks this by solving the linear system exactly.

How the blocks are cut is a choice of what to keep: at each period the cut that shows the
most cells inside it wins, a cell weighing its offices and months (for the categories the
months squared: a category hidden in one month's piece is hidden in its year too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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
    root: Region | None = None  # how the plan cut the grid (None: nothing to cut)
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


@dataclass(frozen=True)
class Region:
    """A part of the grid and how the plan cut it: ``parts`` partition ``block``; a region
    without parts is one block of the layout."""

    block: Block
    parts: tuple[Region, ...] = ()

    def leaves(self) -> list[Block]:
        return [self.block] if not self.parts else [b for part in self.parts for b in part.leaves()]


class _Grid:
    """The cells of the grid and how much a set of blocks shows of them."""

    def __init__(self, offices: tuple[int, ...], calendar: tuple[str, ...]) -> None:
        self.offices = offices
        self.periods = periods_of(calendar)
        self.months = {p: p.months(calendar) for p in self.periods}
        self.month_sets = {p: frozenset(m) for p, m in self.months.items()}

    def score(
        self, blocks: Sequence[Block], within: Block, shows: Callable[[tuple[Block, ...]], int], power: int = 1
    ) -> int:
        """The weight of the cells inside ``within`` that ``blocks`` make up (``shows`` says
        how many figures a cell of such blocks publishes). A cell weighs its offices and its
        months (to the ``power``): reports are written per quarter and year and for all
        offices, so those figures go before one office's month."""
        inside = [p for p in self.periods if self.month_sets[p] <= within.months]
        if not inside:
            return 0
        index = {p: i for i, block in enumerate(blocks) for p in block.positions()}
        total = 0
        for office in (*self.offices, ALL_OFFICES):
            wanted = _offices(self.offices, office)
            if not wanted <= within.offices:
                continue
            for period in inside:
                months = self.months[period]
                cell = _blocks_of(index, blocks, wanted, months)
                if cell:
                    total += len(months) ** power * len(wanted) * shows(cell)
        return total


class _Planner:
    """Cuts offices x calendar into blocks for the n's, from ``all`` down (see ``plan``)."""

    def __init__(self, totals: Mapping[Position, int], offices: tuple[int, ...], calendar: tuple[str, ...]) -> None:
        self.totals = totals
        self.offices = offices
        self.grid = _Grid(offices, calendar)
        self.months = self.grid.months
        self.children: dict[Period, list[Period]] = {p: [] for p in self.grid.periods}
        for period in self.grid.periods:
            parent = period.parent()
            if parent is not None and parent in self.children:
                self.children[parent].append(period)

    def total(self, offices: Iterable[int], months: Iterable[str]) -> int:
        months = tuple(months)
        return sum(self.totals.get((o, m), 0) for o in offices for m in months)

    def shows(self, cell: tuple[Block, ...]) -> int:
        return int(shown(sum(self.total(b.offices, b.months) for b in cell)))

    def split(self, offices: frozenset[int], kids: Sequence[Period]) -> dict[Period, int | None]:
        """The sub-periods under the small-cell rule: None marks one pooled into the rest."""
        published = suppress_counts({k.key: self.total(offices, self.months[k]) for k in kids})
        return {k: published[k.key] for k in kids}

    def best(self, period: Period) -> Region:
        """All offices x ``period``, cut to show the most n's inside it: split in time,
        split by office, or kept whole (the first of equal scores wins)."""
        months = self.months[period]
        kids = self.children[period]
        if len(kids) == 1 and self.months[kids[0]] == months:
            return self.best(kids[0])  # the same months under another name
        block = Block(frozenset(self.offices), frozenset(months))
        candidates = [self.by_office(block.months).parts, ()]
        parts = self.split(block.offices, kids)
        if any(count is not None for count in parts.values()):
            pooled = frozenset(m for kid in kids if parts[kid] is None for m in self.months[kid])
            tail = (self.by_office(pooled),) if pooled else ()
            candidates.insert(0, (*(self.best(k) for k in kids if parts[k] is not None), *tail))
        chosen = max(
            candidates,
            key=lambda c: self.grid.score([b for r in c for b in r.leaves()] or [block], block, self.shows),
        )
        return Region(block, chosen)

    def by_office(self, months: frozenset[str]) -> Region:
        """All offices x ``months`` split by office under the small-cell rule."""
        every = frozenset(self.offices)
        if not shown(self.total(every, months)):
            return Region(Block(every, months))
        parts = suppress_counts({str(o): self.total((o,), months) for o in self.offices})
        pooled = frozenset(o for o in self.offices if parts[str(o)] is None)
        if pooled == every:
            return Region(Block(every, months))
        blocks = [Block(pooled, months)] if pooled else []
        blocks += [Block(frozenset({o}), months) for o in self.offices if parts[str(o)] is not None]
        return Region(Block(every, months), tuple(Region(b) for b in blocks))


def plan(totals: Mapping[Position, int], offices: Sequence[int], calendar: Sequence[str]) -> Layout:
    """The blocks for units counted per (office, month) in ``totals``.

    ``offices`` are every office an evaluator can ask for (answers without an office count
    under a pseudo-office of their own that is never asked for); ``calendar`` the months
    the grid covers, consecutive (``feedback.periods.month_span``).
    """
    # An office with units is always part of the grid, asked for or not: all offices are all.
    offices = tuple(sorted(set(offices) | {o for (o, m), units in totals.items() if units and m in calendar}))
    calendar = tuple(calendar)
    if not offices or not calendar:
        return Layout(offices, calendar, (), dict(totals))
    root = _Planner(totals, offices, calendar).best(Period("all"))
    return Layout(offices, calendar, tuple(root.leaves()), dict(totals), root)


def _categories_shown(counts: Counts, categories: Sequence[str], block: Block) -> frozenset[str]:
    """The categories a block publishes: one distribution under the small-cell rule."""
    within = {c: sum(counts.get((o, m, c), 0) for o, m in block.positions()) for c in categories}
    if not shown(sum(within.values())):
        return frozenset()
    return frozenset(c for c, value in suppress_counts(within).items() if value is not None)


@dataclass(frozen=True)
class GridTable:
    """One question (or channel, outcome, …) of one group over the grid.

    The n's are read from the layout's blocks; the categories from coarser **super-blocks**
    (unions of blocks, chosen per question), each a distribution under the small-cell rule.
    """

    layout: Layout
    categories: tuple[str, ...]
    counts: Mapping[tuple[int, str, str], int]
    supers: tuple[Block, ...]
    shown_in: Mapping[Block, frozenset[str]]
    _index: dict[Position, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for number, block in enumerate(self.supers):
            for position in block.positions():
                self._index[position] = number

    def n(self, office: int | None, period: Period) -> int | None:
        return self.layout.n(office, period)

    def count(self, office: int | None, period: Period, category: str) -> int | None:
        """The count of ``category`` in a cell, or None when it is hidden."""
        offices = _offices(self.layout.offices, office)
        blocks = _blocks_of(self._index, self.supers, offices, period.months(self.layout.calendar))
        if not blocks or any(category not in self.shown_in[b] for b in blocks):
            return None
        return sum(self.counts.get((o, m, category), 0) for b in blocks for o, m in b.positions())

    def distribution(self, office: int | None, period: Period) -> dict[str, int | None]:
        return {c: self.count(office, period, c) for c in self.categories}


def _cut(region: Region, grid: _Grid, shown_of: Callable[[Block], frozenset[str]]) -> list[Block]:
    """The super-blocks of one question within ``region``: its parts cut on their own, the
    region joined per office, or the region whole, whichever shows more of the question's
    cells inside it. Longer periods weigh quadratically here: a small category hidden in one
    month's block would hide it in the quarter, the year and ``all`` too."""
    whole = [region.block]
    if not region.parts:
        return whole
    finer = [b for part in region.parts for b in _cut(part, grid, shown_of)]

    def shows(cell: tuple[Block, ...]) -> int:
        return len(frozenset.intersection(*(shown_of(b) for b in cell)))

    candidates = [finer, _by_office(region, grid, shows), whole]
    return max(candidates, key=lambda blocks: grid.score(blocks, region.block, shows, power=2))


def _by_office(region: Region, grid: _Grid, shows: Callable[[tuple[Block, ...]], int]) -> list[Block]:
    """The region joined per office: an office that has a block of its own in every part
    of the region is cut in time on its own (``_office_cut``), the rest of the region is one
    super-block."""
    months: dict[int, set[str]] = {}
    for leaf in region.leaves():
        if len(leaf.offices) == 1:
            months.setdefault(next(iter(leaf.offices)), set()).update(leaf.months)
    whole = sorted(o for o, held in months.items() if held == region.block.months)
    blocks = [b for o in whole for b in _office_cut(region, o, grid, shows)]
    rest = region.block.offices - frozenset(whole)
    return blocks + ([Block(rest, region.block.months)] if rest else [])


def _office_cut(region: Region, office: int, grid: _Grid, shows: Callable[[tuple[Block, ...]], int]) -> list[Block]:
    """One office's part of ``region`` (where it has blocks of its own): whole, or its parts
    cut on their own, whichever shows more of the office's cells."""
    whole = [Block(frozenset({office}), region.block.months)]
    if region.block.offices == frozenset({office}) or not region.parts:
        return whole
    finer = [b for part in region.parts if office in part.block.offices for b in _office_cut(part, office, grid, shows)]
    return max((finer, whole), key=lambda blocks: grid.score(blocks, whole[0], shows, power=2))


def tabulate(layout: Layout, counts: Mapping[tuple[int, str, str], int], categories: Sequence[str]) -> GridTable:
    """A question over ``layout`` from the counts per (office, month, category).

    ``layout`` must have been planned from the same units (``totals_of(counts)``): the n's
    and the categories are then one linear system.
    """
    if totals_of(counts) != {p: t for p, t in layout.totals.items() if t}:
        raise ValueError("the counts are not the units the layout was planned from")
    if layout.root is None:
        return GridTable(layout, tuple(categories), dict(counts), (), {})
    cache: dict[Block, frozenset[str]] = {}

    def shown_of(block: Block) -> frozenset[str]:
        if block not in cache:
            cache[block] = _categories_shown(counts, categories, block)
        return cache[block]

    supers = tuple(_cut(layout.root, _Grid(layout.offices, layout.calendar), shown_of))
    return GridTable(layout, tuple(categories), dict(counts), supers, {b: shown_of(b) for b in supers})


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
    return tabulate(plan(totals_of(counts), offices, calendar), counts, categories)
