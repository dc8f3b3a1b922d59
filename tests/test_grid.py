"""The grid of periods and its suppression: no hidden cell follows from the shown ones.

Pure domain, no app: the probe (``tests/grid_probe.py``) requests every cell of the grid
(each office and all offices x every month, quarter, half-year, year and ``all`` x every
category and the n) and solves for each hidden one exactly. On seeded random data (two to
four offices, one of them tiny, skewed answers, fifteen to twenty months) it finds none;
on the same data with today's per-page suppression it finds some.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from feedback.comparison import compare, newcombe_difference
from feedback.equipment import DEVICES, VERDICTS, equipment_cells, equipment_table
from feedback.errors import BadPeriod, FeedbackError
from feedback.grid import ALL_OFFICES, GridTable, grid_table
from feedback.grid_figures import (
    Ballot,
    GroupGrid,
    build_group_grid,
    difference,
    gap_cell,
    mean_figure,
    reason_cells,
    response_rates,
    trend_cells,
)
from feedback.grid_report import grid_details, grid_report
from feedback.periods import Period, closed_through, month_span, parse_period, periods_of
from feedback.questionnaire import NO_ANSWER, NOT_ASKED, Answers, Rating
from feedback.report import CHANNELS, OUTCOMES
from feedback.suppression import shown, suppress_counts
from tests.grid_probe import cells, recovered

CATEGORIES = ("yes", "no", "dont_know", "no_answer")
_WEIGHTS = (6, 2, 1, 0.4)
SEEDS = range(24)


def _shape(rng: random.Random) -> tuple[list[int], tuple[str, ...], dict[int, float]]:
    """Offices with their mean answers per month (the last one tiny) and the calendar."""
    offices = list(range(1, rng.randint(2, 4) + 1))
    size = {o: rng.choice([4.0, 8.0, 15.0, 30.0]) for o in offices}
    size[offices[-1]] = rng.choice([0.2, 0.5, 1.0])
    start = rng.choice(["2025-07", "2025-10", "2026-01"])
    calendar = month_span(start, "2026-12")
    if len(calendar) < 13:
        calendar = month_span("2025-09", "2026-12")
    return offices, calendar, size


def _counts(seed: int) -> tuple[list[int], tuple[str, ...], dict[tuple[int, str, str], int]]:
    rng = random.Random(seed)
    offices, calendar, size = _shape(rng)
    counts: dict[tuple[int, str, str], int] = {}
    for office in offices:
        for month in calendar:
            for _ in range(int(rng.expovariate(1 / size[office]))):
                key = (office, month, rng.choices(CATEGORIES, _WEIGHTS)[0])
                counts[key] = counts.get(key, 0) + 1
    return offices, calendar, counts


def _grid_publisher(table: GridTable):  # type: ignore[no-untyped-def]
    return lambda office, period, category: (
        table.n(office, period) if category == "" else table.count(office, period, category)
    )


def _page_publisher(counts: dict[tuple[int, str, str], int], offices: list[int], calendar: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Today's rule: every request suppressed on its own (``suppress_counts`` per page)."""

    def publish(office: int | None, period: Period, category: str) -> int | None:
        chosen = offices if office is None else [office]
        months = period.months(calendar)
        dist = {c: sum(counts.get((o, m, c), 0) for o in chosen for m in months) for c in CATEGORIES}
        n = sum(dist.values())
        if category == "":
            return n if shown(n) else None
        return suppress_counts(dist)[category]

    return publish


# -- the periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "months"),
    [
        ("2026-07", "month", ["2026-07"]),
        ("2026-Q3", "quarter", ["2026-07", "2026-08", "2026-09"]),
        ("2026-H2", "half", ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]),
        ("2026", "year", [f"2026-{m:02d}" for m in range(1, 13)]),
        ("all", "all", [f"2026-{m:02d}" for m in range(1, 13)]),
    ],
)
def test_a_period_on_the_grid_parses_and_holds_its_months(value: str, kind: str, months: list[str]) -> None:
    period = parse_period(value)
    assert (period.kind, period.key, str(period)) == (kind, value, value)
    assert list(period.months(month_span("2025-12", "2027-01"))) == [m for m in months] or kind == "all"
    assert period.contains(months[0]) and not (kind != "all" and period.contains("2027-01"))


@pytest.mark.parametrize(
    "value",
    ["", "ALL", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-H3", "2026-q3", "26-Q3", " 2026", "0999",
     "2026-07-01", "2026-07..2026-09", "2026-01/2026-03", "2026-W27", "2026-Q3 "],
)  # fmt: skip
def test_anything_off_the_grid_is_refused_with_its_code(value: str) -> None:
    with pytest.raises(BadPeriod) as caught:
        parse_period(value)
    assert isinstance(caught.value, FeedbackError)
    assert caught.value.code == "bad_period" and caught.value.value == value


def test_the_periods_nest_into_one_tree() -> None:
    assert parse_period("2026-08").parent() == parse_period("2026-Q3")
    assert parse_period("2026-Q3").parent() == parse_period("2026-H2")
    assert parse_period("2026-Q2").parent() == parse_period("2026-H1")
    assert parse_period("2026-H2").parent() == parse_period("2026")
    assert parse_period("2026").parent() == parse_period("all")
    assert parse_period("all").parent() is None
    keys = [p.key for p in periods_of(month_span("2026-06", "2026-07"))]
    assert keys == ["all", "2026", "2026-H1", "2026-H2", "2026-Q2", "2026-Q3", "2026-06", "2026-07"]
    assert month_span("2026-11", "2027-02") == ("2026-11", "2026-12", "2027-01", "2027-02")
    with pytest.raises(BadPeriod):
        month_span("2026-Q1", "2026-12")


def test_a_month_closes_once_its_answers_are_in() -> None:
    # Links of a session on 31 October stay valid 14 days into November, answers wait a little.
    assert closed_through(datetime(2026, 11, 10, tzinfo=UTC)) == "2026-09"
    assert closed_through(datetime(2026, 11, 25, tzinfo=UTC)) == "2026-10"
    assert closed_through(datetime(2026, 1, 5, tzinfo=UTC)) == "2025-11"


# -- the probe -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_no_hidden_cell_follows_from_the_shown_ones_anywhere_on_the_grid(seed: int) -> None:
    offices, calendar, counts = _counts(seed)
    table = grid_table(counts, CATEGORIES, offices, calendar)
    publish = _grid_publisher(table)
    assert recovered(publish, offices, calendar, CATEGORIES) == []
    # Not everything is hidden: the grid still says something, and nothing shown is small.
    shown_cells = [c for c in cells(offices, calendar, CATEGORIES) if publish(*c) is not None]
    assert all(publish(*c) >= 5 for c in shown_cells)
    if sum(counts.values()) >= 40:
        assert table.n(ALL_OFFICES, Period("all")) == sum(counts.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_the_probe_finds_what_per_page_suppression_leaks(seed: int) -> None:
    offices, calendar, counts = _counts(seed)
    leaks = recovered(_page_publisher(counts, offices, calendar), offices, calendar, CATEGORIES)
    assert leaks, "today's per-page suppression leaks on every one of these data sets"
    # Each leak is real: a hidden cell whose value the attacker now knows.
    office, period, category = leaks[0]
    assert _page_publisher(counts, offices, calendar)(office, period, category) is None


def test_the_issues_example_two_offices_one_with_three_answers_in_a_quarter() -> None:
    calendar = month_span("2026-07", "2026-09")
    counts = {(1, "2026-07", "yes"): 20, (1, "2026-08", "yes"): 15, (1, "2026-09", "no"): 12, (2, "2026-08", "no"): 3}
    page = _page_publisher(counts, [1, 2], calendar)
    q3 = parse_period("2026-Q3")
    assert page(2, q3, "") is None and page(1, q3, "") == 47 and page(ALL_OFFICES, q3, "") == 50
    assert (2, q3, "") in recovered(page, [1, 2], calendar, CATEGORIES)
    table = grid_table(counts, CATEGORIES, [1, 2], calendar)
    assert table.n(2, q3) is None and table.n(1, q3) is None and table.n(ALL_OFFICES, q3) == 50
    assert recovered(_grid_publisher(table), [1, 2], calendar, CATEGORIES) == []


def test_the_same_cell_is_shown_or_hidden_whatever_order_the_answers_came_in() -> None:
    offices, calendar, counts = _counts(7)
    shuffled = dict(random.Random(1).sample(sorted(counts.items()), len(counts)))
    first, second = (
        grid_table(counts, CATEGORIES, offices, calendar),
        grid_table(shuffled, CATEGORIES, offices, calendar),
    )
    for office, period, category in cells(offices, calendar, CATEGORIES):
        assert _grid_publisher(first)(office, period, category) == _grid_publisher(second)(office, period, category)


# -- a whole group: questions, response rates, outcomes, and the figures read from them --------

_CHOICES = {
    "recommend": (["yes"] * 6 + ["no", "dont_know", NO_ANSWER]),
    "next_by_video": ["yes", "yes", "no", "no", "dont_know", NO_ANSWER],
    "device": ["smartphone", "smartphone", "computer", "tablet", NO_ANSWER],
    "setup_help": ["no", "no", "yes", NO_ANSWER],
}


def _group(seed: int, group: str, scale: float = 1.0) -> tuple[GroupGrid, list[int], tuple[str, ...]]:
    rng = random.Random(seed * 31 + (group == "sgb3"))
    offices, calendar, size = _shape(rng)
    size = {o: s * scale if o != offices[-1] else s for o, s in size.items()}
    ballots, offers, sessions, ratings = [], {}, [], []
    for office in offices:
        for month in calendar:
            for _ in range(int(rng.expovariate(1 / size[office]))):
                values = {k: rng.choice(v) for k, v in _CHOICES.items()}
                gap = values["recommend"] == "yes" and values["next_by_video"] == "no"
                why = rng.choice(["prefer_in_person", "documents", "technical", NO_ANSWER]) if gap else None
                answers = Answers(values["recommend"], values["next_by_video"], rng.choice([5, 4, 3, 2, 1, None]), None,
                                  values["device"], values["setup_help"], None, why_not_video=why)  # fmt: skip
                channel = rng.choice(["video"] * 4 + ["phone", "in_person"])
                if channel != "video":  # the device questions are asked after a video session only
                    answers = replace(answers, device=NOT_ASKED, setup_help=NOT_ASKED)
                ballots.append(Ballot(office, month, channel, rng.choice(["2"] * 5 + ["1"]), answers))
                offers[(office, month, channel)] = offers.get((office, month, channel), 0) + 1 + rng.randint(0, 2)
                sessions.append((office, month, rng.choice(["video"] * 5 + ["phone", "in_person", "no_show"])))
                if rng.random() < 0.7:
                    ratings.append(
                        (
                            office,
                            month,
                            Rating(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5]), rng.choice([1, 2, 3, 4, 4, 5, 5])),
                        )
                    )
    # the pre-call checks carry no office: per month, skewed device classes and verdicts
    checks = [
        (month, rng.choices(DEVICES, (10, 1, 4))[0], rng.choices(VERDICTS, (8, 2, 1))[0])
        for month in calendar
        for _ in range(int(rng.expovariate(1 / (6 * scale))))
    ]
    grid = build_group_grid(
        group, ballots, offices, calendar, version="2", offers=offers, sessions=sessions, ratings=ratings, checks=checks
    )
    return grid, offices, calendar


@pytest.mark.parametrize("seed", range(4))
def test_every_population_of_a_group_holds_on_the_grid(seed: int) -> None:
    grid, offices, calendar = _group(seed, "sgb2")
    tables = [*grid.questions.values(), grid.channels, grid.offers, grid.outcomes, *grid.ratings.values()]
    for table in tables:
        assert recovered(_grid_publisher(table), offices, calendar, table.categories) == []
    # the checks: verdicts on the office axis (all offices the only office), device classes
    equipment = grid.equipment
    assert recovered(_grid_publisher(equipment), equipment.layout.offices, calendar, DEVICES) == []
    layouts = {id(t.layout) for t in grid.questions.values()}
    assert len(layouts) == 1  # one plan for the respondents: their n is one cell everywhere
    assert grid.channels.categories == CHANNELS and grid.outcomes.categories == OUTCOMES
    assert {"satisfaction", "technical_quality", "recommend", "why_not_video"} <= set(grid.questions)
    assert set(grid.ratings) == {"effort", "technical_quality"}


def test_the_figures_per_period_read_the_grid() -> None:
    sgb2, offices, calendar = _group(3, "sgb2", scale=4)
    sgb3, _o, _c = _group(3, "sgb3", scale=4)
    recommend = sgb2.questions["recommend"]
    for kind in ("month", "quarter"):
        series = trend_cells(recommend, "recommend", "yes", ALL_OFFICES, kind)
        assert [c.month for c in series] == [p.key for p in periods_of(calendar) if p.kind == kind]
        for cell in series:
            count = recommend.count(ALL_OFFICES, parse_period(cell.month), "yes")
            assert cell.suppressed == (count is None) and cell.count == count
    assert any(not c.suppressed for c in trend_cells(recommend, "recommend", "yes", ALL_OFFICES, "quarter"))
    year = parse_period(calendar[-1][:4])
    inside = trend_cells(recommend, "recommend", "yes", ALL_OFFICES, "month", within=year)
    assert [c.month for c in inside] == [m for m in calendar if m.startswith(calendar[-1][:4])]

    whole = Period("all")
    diff = difference(sgb2, sgb3, "recommend", "yes", ALL_OFFICES, whole)
    x1, n1 = recommend.count(ALL_OFFICES, whole, "yes"), recommend.n(ALL_OFFICES, whole)
    other = sgb3.questions["recommend"]
    x2, n2 = other.count(ALL_OFFICES, whole, "yes"), other.n(ALL_OFFICES, whole)
    assert None not in (x1, n1, x2, n2) and not diff.suppressed
    assert diff.difference == pytest.approx(newcombe_difference(x1, n1, x2, n2).estimate)  # type: ignore[arg-type]
    assert diff.low == pytest.approx(newcombe_difference(x1, n1, x2, n2).low)  # type: ignore[arg-type]
    tiny = offices[-1]
    assert difference(sgb2, sgb3, "recommend", "yes", tiny, whole).suppressed

    gap = gap_cell(sgb2, ALL_OFFICES, whole)
    next_share = sgb2.questions["next_by_video"].count(ALL_OFFICES, whole, "yes") / n1  # type: ignore[operator]
    assert gap.estimate == pytest.approx(x1 / n1 - next_share) and gap.note == "interval_withheld"  # type: ignore[operator]

    reasons = reason_cells(sgb2, ALL_OFFICES, whole)
    assert {c.category for c in reasons} >= {"prefer_in_person", "documents", "technical"}
    for cell in reasons:
        assert cell.suppressed or (cell.count is not None and cell.count >= 5 and cell.n is not None)
    assert all(c.suppressed for c in reason_cells(sgb2, tiny, whole))

    rates = response_rates(sgb2, ALL_OFFICES, whole)
    video = next(f for f in rates if f.category == "video")
    assert not video.suppressed and video.count == sgb2.channels.count(ALL_OFFICES, whole, "video")
    assert video.n == sgb2.offers.count(ALL_OFFICES, whole, "video")
    assert all(f.suppressed for f in response_rates(sgb2, tiny, parse_period(calendar[0])))


def test_answers_without_an_office_count_for_all_offices_and_an_empty_grid_shows_nothing() -> None:
    calendar = month_span("2026-01", "2026-03")
    counts = {(1, "2026-01", "yes"): 30, (1, "2026-02", "no"): 10, (0, "2026-02", "yes"): 8, (1, "2027-01", "no"): 9}
    table = grid_table(counts, CATEGORIES, [1], calendar)
    assert table.layout.offices == (0, 1)
    assert table.n(ALL_OFFICES, parse_period("2026-Q1")) == 48  # not the month outside the calendar
    assert recovered(_grid_publisher(table), [0, 1], calendar, CATEGORIES) == []
    empty = grid_table({}, CATEGORIES, [1, 2], calendar)
    assert all(_grid_publisher(empty)(*cell) is None for cell in cells([1, 2], calendar, CATEGORIES))


def test_a_mean_is_shown_only_where_every_step_of_its_scale_is() -> None:
    grid, offices, calendar = _group(3, "sgb2", scale=4)
    effort = grid.ratings["effort"]
    seen = set()
    for office in (*offices, ALL_OFFICES):
        for period in periods_of(calendar):
            figure = mean_figure(effort, "rating_effort", office, period)
            steps = {s: effort.count(office, period, s) for s in ("1", "2", "3", "4", "5")}
            seen.add(figure.suppressed)
            if figure.suppressed:
                assert None in steps.values()
                continue
            total = sum(c or 0 for c in steps.values())
            assert figure.n == total
            assert figure.estimate == pytest.approx(sum(int(s) * (c or 0) for s, c in steps.items()) / total)
    assert seen == {True, False}


def test_one_requests_report_and_tables_come_from_the_grid() -> None:
    sgb2, offices, calendar = _group(5, "sgb2", scale=4)
    sgb3, _o, _c = _group(5, "sgb3", scale=4)
    year = parse_period(calendar[-1][:4])
    reports = [grid_report(g, ALL_OFFICES, year) for g in (sgb2, sgb3)]
    first = reports[0]
    assert first.respondents == sgb2.questions["recommend"].n(ALL_OFFICES, year)
    yes = first.figure("recommend", "yes")
    assert yes.count == sgb2.questions["recommend"].count(ALL_OFFICES, year, "yes")
    assert not yes.suppressed and yes.n == first.respondents
    video = first.figure("response_rate", "video")
    assert video.count == sgb2.channels.count(ALL_OFFICES, year, "video")
    differences = compare(reports)
    assert [(d.metric, d.category) for d in differences] == [
        ("recommend", "yes"),
        ("next_by_video", "yes"),
        ("outcome", "video"),
    ]
    assert differences[0] == difference(sgb2, sgb3, "recommend", "yes", ALL_OFFICES, year)
    details = grid_details(sgb2, first, ALL_OFFICES, year)
    assert [c.month for c in details.table("trend") if c.metric == "recommend"] == [
        p.key for p in periods_of(calendar) if p.kind == "quarter" and p.key.startswith(year.key)
    ]
    equipment = details.table("equipment")
    assert equipment and {c.month for c in equipment} == {year.key} | {
        c.month for c in details.table("trend") if c.metric == "recommend"
    }
    assert grid_details(sgb2, first, offices[0], year).table("equipment") == ()  # no office: all offices only
    assert {c.metric for c in details.table("effort")} == {"effort", "technical_quality"}
    tiny = grid_report(sgb2, offices[-1], parse_period(calendar[0]))
    assert tiny.respondents is None and all(f.suppressed for f in tiny.figures)


def test_device_shares_are_over_those_asked_after_a_video_session() -> None:
    """Issue 26 on the grid: "not asked" (after phone or in person) is its own category of
    the respondents' plan, and the device shares are over the n minus "not asked"."""
    grid, offices, calendar = _group(2, "sgb2", scale=4)
    table = grid.questions["device"]
    assert NOT_ASKED in table.categories
    shown = 0
    for office in (*offices, ALL_OFFICES):
        for period in periods_of(calendar):
            figures = grid_report(grid, office, period).metric("device")
            assert NOT_ASKED not in {f.category for f in figures}
            n, not_asked = table.n(office, period), table.count(office, period, NOT_ASKED)
            for figure in figures:
                if figure.suppressed:
                    continue
                shown += 1
                assert n is not None and not_asked is not None and figure.n == n - not_asked
                assert figure.count == table.count(office, period, figure.category)
    assert shown > 0
    assert recovered(_grid_publisher(table), offices, calendar, table.categories) == []


def _equipment(seed: int) -> tuple[list[tuple[str, str, str]], tuple[str, ...]]:
    """Skewed checks of one group: many smartphones, few tablets, video mostly works."""
    rng = random.Random(seed)
    _offices, calendar, _size = _shape(rng)
    mean = rng.choice([5.0, 12.0, 25.0])
    return [
        (month, rng.choices(DEVICES, (10, 1, 4))[0], rng.choices(VERDICTS, (8, 2, 1))[0])
        for month in calendar
        for _ in range(int(rng.expovariate(1 / mean)))
    ], calendar


@pytest.mark.parametrize("seed", range(12))
def test_no_equipment_cell_shown_anywhere_recovers_a_hidden_one(seed: int) -> None:
    """The equipment table as the page publishes it, for all offices and every period: its
    shares' counts and n's (device classes over all checks, verdicts within a device class)
    solved as one linear system, with the verdicts as the grid's second axis."""
    checks, calendar = _equipment(seed)
    table = equipment_table(checks, calendar)
    axis = {verdict: number for number, verdict in enumerate(VERDICTS, start=1)}
    truth: dict[tuple[int, str, str], int] = {}
    for month, device, verdict in checks:
        truth[(axis[verdict], month, device)] = truth.get((axis[verdict], month, device), 0) + 1
    published: dict[tuple[int | None, str, str], int | None] = {}
    for period in periods_of(calendar):
        for cell in equipment_cells(table, period):
            if cell.month != period.key:
                continue  # a sub-period's row: the same cell as its own request
            if cell.metric == "device_class":
                published[(None, period.key, cell.category)] = cell.count
                if cell.n is not None:
                    published[(None, period.key, "")] = cell.n
            else:
                published[(axis[cell.category], period.key, cell.metric)] = cell.count
                if cell.n is not None:
                    published[(None, period.key, cell.metric)] = cell.n
    for (verdict, key, device), value in published.items():
        if value is not None:  # a shown cell is the true count
            months = parse_period(key).months(calendar)
            kinds = DEVICES if device == "" else (device,)
            verdicts = axis.values() if verdict is None else (verdict,)
            assert value == sum(truth.get((v, m, d), 0) for v in verdicts for m in months for d in kinds)

    def publish(verdict: int | None, period: Period, device: str) -> int | None:
        return published.get((verdict, period.key, device))

    shown_cells = [v for v in published.values() if v is not None]
    assert shown_cells and None in published.values()  # the data show some cells and hide others
    leaks = recovered(publish, list(axis.values()), calendar, DEVICES)
    # a sum the page never shows (one verdict over all device classes) is no leak unless
    # the plan hides it: every cell the plan hides stays unknown
    assert [c for c in leaks if _grid_publisher(table)(*c) is None] == []
