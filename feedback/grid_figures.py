"""The evaluation's figures per office and period, read from the grid (``feedback.grid``).

One ``GroupGrid`` holds, for one group and questionnaire version, every population planned
once over offices x months: the respondents with each question, the answers per channel
(every version) and the offered links for the response rates, and the settled sessions by
outcome. Every figure of every request (page, print view, export, CLI) is read from it,
so the same cell is shown or hidden whatever else was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feedback.cells import Cell, hidden, placed, share
from feedback.comparison import Difference, newcombe_difference
from feedback.equipment import equipment_table
from feedback.grid import GridTable, count_rows, plan, tabulate, totals_of
from feedback.periods import Period
from feedback.questionnaire import NO_ANSWER, NOT_ASKED, QUESTIONS, Answers, Rating
from feedback.report import CHANNELS, OUTCOMES, Figure, distributions_for, require_group
from feedback.statistics import mean_interval, wilson
from feedback.suppression import shown

__all__ = [
    "NO_OFFICE",
    "Ballot",
    "GroupGrid",
    "build_group_grid",
    "trend_cells",
    "difference",
    "reason_cells",
    "gap_cell",
    "response_rates",
    "mean_figure",
    "asked_base",
    "VIDEO_ONLY",
]

NO_OFFICE = 0  # the pseudo-office of answers that carry none; never asked for on its own
_OPTIONS = {q.name: tuple(value for value, _label in q.options) for q in QUESTIONS}
_REASONS = tuple(v for v in _OPTIONS["why_not_video"] if v != NO_ANSWER)
SCALE = ("1", "2", "3", "4", "5")
SCALES = ("satisfaction", "technical_quality")  # the respondents' 1-5 answers
RATED = ("effort", "technical_quality")  # the caseworkers' 1-5 ratings


@dataclass(frozen=True)
class Ballot:
    """One moved answer as the grid sees it: no more than the results table holds."""

    office: int  # NO_OFFICE when the answer carries none
    month: str
    channel: str
    version: str
    answers: Answers


@dataclass(frozen=True)
class GroupGrid:
    group: str
    version: str
    questions: Mapping[str, GridTable]  # metric -> respondents of ``version`` by answer (scales too)
    channels: GridTable  # answers of every version by channel
    offers: GridTable  # offered links by channel
    outcomes: GridTable  # settled sessions by outcome
    ratings: Mapping[str, GridTable]  # effort, technical_quality -> caseworker ratings by step
    equipment: GridTable  # pre-call checks: device classes (office axis) x periods, by verdict


VIDEO_ONLY = ("device", "setup_help")  # asked after a video session only (issue 26)


def _categories(metric: str, version: str) -> tuple[str, ...]:
    if metric in SCALES:
        return (*SCALE, NO_ANSWER)  # "keine Angabe" or not asked: stored as None
    # Version 1 had no "keine Angabe": no structural zero cell for it.
    options = _OPTIONS[metric]
    options = options if version != "1" else tuple(o for o in options if o != NO_ANSWER)
    # The device questions keep "not asked" (after a phone or in-person appointment) as a
    # category of their own on the respondents' grid: their shares are over those asked,
    # the n minus "not asked", both shown cells (``asked_base``), so no new relation.
    return (*options, NOT_ASKED) if metric in VIDEO_ONLY else options


def _value(answers: Answers, metric: str) -> str:
    # "Not asked" (None) and "keine Angabe" count as one category, as on every page:
    # every question keeps the grid's units. The device questions keep NOT_ASKED apart.
    value = getattr(answers, metric)
    if value == NOT_ASKED:
        return NOT_ASKED if metric in VIDEO_ONLY else NO_ANSWER
    return NO_ANSWER if value is None else str(value)


def asked_base(table: GridTable, office: int | None, period: Period) -> int | None:
    """Those asked a video-only question in one cell: its n minus "not asked", or None
    when either is hidden or fewer than ``MIN_CELL`` were asked."""
    n, not_asked = table.n(office, period), table.count(office, period, NOT_ASKED)
    if n is None or not_asked is None or not shown(n - not_asked):
        return None
    return n - not_asked


def _population(
    counts: dict[tuple[int, str, str], int], categories: Sequence[str], offices: Sequence[int], calendar: Sequence[str]
) -> GridTable:
    return tabulate(plan(totals_of(counts), offices, calendar), counts, categories)


def build_group_grid(
    group: str,
    ballots: Sequence[Ballot],
    offices: Sequence[int],
    calendar: Sequence[str],
    *,
    version: str,
    offers: Mapping[tuple[int, str, str], int],
    sessions: Sequence[tuple[int, str, str]],
    ratings: Sequence[tuple[int, str, Rating]] = (),
    checks: Sequence[tuple[str, str, str]] = (),
) -> GroupGrid:
    """Plan and tabulate one group: ``ballots`` of every version (the respondents of
    ``version`` answer the questions, all of them count for the response rates), ``offers``
    per (office, month, channel), ``sessions`` as (office, month ended, outcome) and the
    caseworkers' ``ratings`` as (office, month, rating), the pre-call ``checks`` as (month,
    device class, verdict) (``feedback.equipment``)."""
    require_group(group)
    inside = set(calendar)
    own = [b for b in ballots if b.version == version and b.month in inside]
    metrics = (*distributions_for(version), *SCALES)
    counts = {m: count_rows((b.office, b.month, _value(b.answers, m)) for b in own) for m in metrics}
    layout = plan(totals_of(counts[metrics[0]]) if own else {}, offices, calendar)
    questions = {m: tabulate(layout, counts[m], _categories(m, version)) for m in metrics}
    answered = count_rows((b.office, b.month, b.channel) for b in ballots if b.month in inside)
    offered = {k: v for k, v in offers.items() if k[1] in inside and v}
    settled = count_rows(s for s in sessions if s[1] in inside)
    rated = {m: count_rows((o, month, str(getattr(r, m))) for o, month, r in ratings if month in inside) for m in RATED}
    rating_layout = plan(totals_of(rated[RATED[0]]), offices, calendar)
    return GroupGrid(
        group,
        version,
        questions,
        _population(answered, CHANNELS, offices, calendar),
        _population(offered, CHANNELS, offices, calendar),
        _population(settled, OUTCOMES, offices, calendar),
        {m: tabulate(rating_layout, rated[m], SCALE) for m in RATED},
        equipment_table(checks, calendar),
    )


def trend_cells(
    table: GridTable, metric: str, category: str, office: int | None, kind: str, *, within: Period | None = None
) -> list[Cell]:
    """The share of ``category`` per month or quarter (``kind``) of the grid, in order;
    ``within`` limits the series to one period. A hidden cell is a gap, never a guess."""
    cells = []
    for period in table.layout.periods():
        if period.kind != kind or (
            within is not None
            and not set(period.months(table.layout.calendar)) <= set(within.months(table.layout.calendar))
        ):
            continue
        count, n = table.count(office, period, category), table.n(office, period)
        if count is None or n is None:
            cells.append(hidden("trend", metric, category, period.key))
        else:
            cells.append(share("trend", metric, category, count, n, period.key))
    return cells


def difference(
    sgb2: GroupGrid, sgb3: GroupGrid, metric: str, category: str, office: int | None, period: Period
) -> Difference:
    """SGB II − SGB III of one share in one cell, Newcombe's method 10; hidden unless both
    groups' cells are shown in their own grids (the groups are never pooled)."""
    tables = [_table(g, metric) for g in (sgb2, sgb3)]
    x1, x2 = (t.count(office, period, category) for t in tables)
    n1, n2 = (t.n(office, period) for t in tables)
    if x1 is None or x2 is None or n1 is None or n2 is None:
        return Difference(metric, category, None, None, None, None, None, None, None, None, None, True)
    interval = newcombe_difference(x1, n1, x2, n2)
    return Difference(
        metric, category, x1, n1, x1 / n1, x2, n2, x2 / n2, interval.estimate, interval.low, interval.high, False
    )


def _table(grid: GroupGrid, metric: str) -> GridTable:
    return grid.outcomes if metric == "outcome" else grid.questions[metric]


def reason_cells(grid: GroupGrid, office: int | None, period: Period) -> list[Cell]:
    """Why not next time by video: each reason's share of those who gave one, in one cell.

    Those who gave a reason are a sum of the reason categories; it is published only when
    it follows from shown cells anyway (every reason shown, or the n and the rest shown).
    """
    table = grid.questions.get("why_not_video")
    if table is None:
        return []
    counts = table.distribution(office, period)
    n = table.n(office, period)
    given = sum(counts[r] or 0 for r in _REASONS)
    if any(counts[r] is None for r in _REASONS):
        rest = [counts[c] for c in table.categories if c not in _REASONS]
        given = n - sum(c or 0 for c in rest) if n is not None and None not in rest else 0
    return [
        share("reasons", "reason", r, count, given, period.key)
        if (count := counts[r]) is not None and given > 0
        else hidden("reasons", "reason", r, period.key)
        for r in _REASONS
    ]


def gap_cell(grid: GroupGrid, office: int | None, period: Period) -> Cell:
    """ "Would recommend" minus "next by video" in one cell: the difference of two shown
    shares. Its paired interval needs the cross-table of both questions, which is not planned
    on the grid, so it is withheld."""
    shares = []
    for metric in ("recommend", "next_by_video"):
        count, n = grid.questions[metric].count(office, period, "yes"), grid.questions[metric].n(office, period)
        if count is None or n is None:
            return hidden("gap", "recommend_minus_next", "", period.key)
        shares.append((count / n, n))
    difference = Figure("recommend_minus_next", "", shares[0][1], None, shares[0][0] - shares[1][0], None, None, False)
    return placed(difference, "gap", period.key, "interval_withheld")


def response_rates(grid: GroupGrid, office: int | None, period: Period) -> list[Figure]:
    """Answers / offered links per channel in one cell, each count shown in its own grid."""
    figures = []
    for channel in CHANNELS:
        answered = grid.channels.count(office, period, channel)
        offered = grid.offers.count(office, period, channel)
        if answered is None or offered is None or answered > offered:
            figures.append(Figure("response_rate", channel, None, None, None, None, None, True))
            continue
        interval = wilson(answered, offered)
        figures.append(
            Figure("response_rate", channel, offered, answered, interval.estimate, interval.low, interval.high, False)
        )
    return figures


def mean_figure(table: GridTable, metric: str, office: int | None, period: Period) -> Figure:
    """The mean of a 1-5 scale in one cell with its t interval: shown only when every step
    of the scale is shown there, so the mean is a function of shown counts and adds no
    relation to the grid (and no step is small: no unanimous mean)."""
    counts = {step: table.count(office, period, step) for step in SCALE}
    if any(count is None for count in counts.values()):
        return Figure(metric, "", None, None, None, None, None, True)
    values = [float(step) for step, count in counts.items() for _ in range(count or 0)]
    interval = mean_interval(values)
    return Figure(metric, "", len(values), None, interval.estimate, interval.low, interval.high, False)
