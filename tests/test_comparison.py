"""The evaluation's further figures against known truth: Newcombe's published examples,
generated data with known proportions, and small-cell suppression of every new figure."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest

from feedback import charts
from feedback.channels import band_position, channel_cells
from feedback.comparison import compare, newcombe_difference, newcombe_paired
from feedback.evaluation import build_evaluation
from feedback.gap import paired_counts
from feedback.grid_figures import Ballot, build_group_grid
from feedback.grid_report import grid_details, grid_report
from feedback.periods import parse_period
from feedback.questionnaire import Answers, Rating
from feedback.report import build_report


def r4(value: float) -> float:
    return round(value, 4)


# Newcombe RG (1998a), Statistics in Medicine 17:873-890, Table II, method 10.
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "difference", "low", "high"),
    [
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
        (0, 10, 0, 20, 0.0, -0.1611, 0.2775),
        (10, 10, 0, 20, 1.0, 0.6791, 1.0),
    ],
)
def test_newcombe_independent_matches_the_published_examples(
    x1: int, n1: int, x2: int, n2: int, difference: float, low: float, high: float
) -> None:
    interval = newcombe_difference(x1, n1, x2, n2)
    assert (r4(interval.estimate), r4(interval.low), r4(interval.high)) == (difference, low, high)


# (a, b, c, d): yes/yes, yes/no, no/yes, no/no.
@pytest.mark.parametrize(
    ("cells", "difference", "low", "high"),
    [
        # Newcombe RG (1998b), Statistics in Medicine 17:2635-2650, Table II example (a), method 10.
        ((36, 12, 2, 0), 0.2000, 0.0569, 0.3404),
        # Fagerland, Lydersen & Laake (2017), Statistical Analysis of Contingency Tables,
        # chapter 8, the Newcombe square-and-add interval for 59/6/16/80.
        ((59, 6, 16, 80), -0.0621, -0.1186, -0.0046),
    ],
)
def test_newcombe_paired_matches_the_published_examples(
    cells: tuple[int, int, int, int], difference: float, low: float, high: float
) -> None:
    interval = newcombe_paired(*cells)
    assert (r4(interval.estimate), r4(interval.low), r4(interval.high)) == (difference, low, high)


def test_newcombe_paired_without_any_answer_is_refused() -> None:
    with pytest.raises(ValueError):
        newcombe_paired(0, 0, 0, 0)


def test_newcombe_intervals_cover_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = random.Random(20261126)
    p1, p2, n1, n2 = 0.62, 0.45, 60, 40
    covered = 0
    for _ in range(2000):
        x1 = sum(rng.random() < p1 for _ in range(n1))
        x2 = sum(rng.random() < p2 for _ in range(n2))
        interval = newcombe_difference(x1, n1, x2, n2)
        covered += interval.low <= p1 - p2 <= interval.high
    assert 0.93 <= covered / 2000 <= 0.975


def answers(recommend: str, next_by_video: str) -> Answers:
    return Answers(recommend, next_by_video, 4, 4, "smartphone", "no", None)


def responses(a: int, b: int, c: int, d: int) -> list[Answers]:
    return (
        [answers("yes", "yes")] * a
        + [answers("yes", "no")] * b
        + [answers("no", "yes")] * c
        + [answers("dont_know", "dont_know")] * d
    )


def test_generated_groups_with_known_shares_give_those_shares_and_their_difference() -> None:
    fallbacks = ["in_person"] * 10 + ["technical_failure"] * 5 + ["no_show"] * 5
    sgb2 = build_report("sgb2", responses(80, 70, 10, 40), [], ["video"] * 30 + ["phone"] * 50 + fallbacks)
    sgb3 = build_report("sgb3", responses(50, 40, 10, 0), [], ["video"] * 60 + ["phone"] * 20 + fallbacks)
    by_metric = {d.metric: d for d in compare([sgb2, sgb3])}
    assert set(by_metric) == {"recommend", "next_by_video", "outcome"}
    assert r4(by_metric["recommend"].difference) == r4(150 / 200 - 90 / 100)  # type: ignore[arg-type]
    assert r4(by_metric["next_by_video"].difference) == r4(90 / 200 - 60 / 100)  # type: ignore[arg-type]
    assert r4(by_metric["outcome"].difference) == r4(0.3 - 0.6)  # type: ignore[arg-type]
    expected = newcombe_difference(150, 200, 90, 100)
    assert (by_metric["recommend"].low, by_metric["recommend"].high) == (expected.low, expected.high)
    # each side keeps its own n; nothing of both groups together is published
    assert (by_metric["recommend"].sgb2_n, by_metric["recommend"].sgb3_n) == (200, 100)
    # the pairs of the gap within a group: both, only recommend, only next, neither
    assert paired_counts(responses(80, 70, 10, 40)) == (80, 70, 10, 40)


def test_a_difference_never_reveals_a_suppressed_cell() -> None:
    sgb2 = build_report("sgb2", responses(20, 5, 5, 5), [], ["video"] * 6 + ["phone"] * 5)
    sgb3 = build_report("sgb3", responses(3, 0, 0, 0), [], ["video"] * 2)
    assert sgb3.figure("recommend", "yes").suppressed
    assert all(d.suppressed and d.difference is None and d.sgb2_count is None for d in compare([sgb2, sgb3]))
    # one group alone is never compared with anything
    assert compare([sgb2]) == ()


def test_band_position_reads_the_whole_interval() -> None:
    assert band_position(0.02, 0.08) == "below"
    assert band_position(0.12, 0.2) == "within"
    assert band_position(0.3, 0.4) == "above"
    assert band_position(0.05, 0.15) == "overlaps"
    report = build_report("sgb2", [], [], ["video"] * 10 + ["phone"] * 30 + ["in_person"] * 10)
    video = next(c for c in channel_cells(report) if c.category == "video")
    assert video.note == band_position(video.low, video.high)  # type: ignore[arg-type]


def test_details_and_charts_of_a_generated_evaluation() -> None:
    """The further tables of one group read from its grid: trend by month within a quarter,
    the caseworkers' ratings as their own distribution, and the charts drawn from them."""
    months = ["2026-09"] * 20 + ["2026-10"] * 20
    answered = responses(15, 10, 5, 10)
    ballots = [Ballot(1, m, "video", "2", a) for m, a in zip(months, answered, strict=True)]
    steps = [Rating(4, 4)] * 10 + [Rating(s, s) for s in (1, 2, 3, 5) * 5]
    ratings = [(1, m, r) for m in ("2026-09", "2026-10") for r in steps]
    held = {"video": 6, "phone": 6, "in_person": 5, "technical_failure": 5, "no_show": 5}
    sessions = [(1, m, o) for m in ("2026-09", "2026-10") for o, times in held.items() for _ in range(times)]
    grid = build_group_grid(
        "sgb2", ballots, [1], ("2026-09", "2026-10"), version="2", offers={}, sessions=sessions, ratings=ratings
    )
    quarter = parse_period("2026-Q3")
    report = grid_report(grid, 1, quarter)
    details = grid_details(grid, report, 1, quarter)
    evaluation = build_evaluation([report], [details])
    assert evaluation.comparison == ()
    assert details.months("trend") == ["2026-09"]  # the quarter's months that are on the grid
    # September: all 20 would recommend: "not yes" is 0, so the share is hidden
    assert details.cell("trend", "recommend", "yes", "2026-09").suppressed
    video = details.cell("trend", "video_share", "video", "2026-09")
    assert (video.count, video.n) == (6, 27)
    # the caseworkers' effort in September: 30 ratings, "4" 10 times; every step shown
    effort = {c.category: c for c in details.table("effort") if c.metric == "effort"}
    assert effort["4"].count == 10 and effort["4"].n == 30 and not effort["1"].suppressed
    assert not report.figure("rating_effort").suppressed

    svg = charts.bars(
        "c1",
        "Would recommend",
        [charts.Series("sgb2", "SGB II", [charts.Point("Yes", 0.6, 0.45, 0.73, "Yes: 60 %")])],
        band=(0.1, 0.25),
        band_label="BA 10–25 %",
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{ns}title").text == "Would recommend"  # type: ignore[union-attr]
    assert "SGB II: Yes: 60 %." in root.find(f"{ns}desc").text  # type: ignore[operator, union-attr]
    assert root.find(f".//{ns}rect[@class='band']") is not None
    diff = ET.fromstring(
        charts.differences(
            "c2", "Δ", charts.Series("diff", "SGB II − SGB III", [charts.Point("x", None, None, None, "–")])
        )
    )
    assert diff.find(f".//{ns}line[@class='zero']") is not None
    line = ET.fromstring(
        charts.trend(
            "c3",
            "Trend",
            ["2026-09", "2026-10", "2026-11"],
            [
                charts.Series(
                    "sgb2",
                    "SGB II",
                    [
                        charts.Point("2026-09", 0.5, 0.3, 0.7, "a"),
                        charts.Point("2026-10", None, None, None, "b"),
                        charts.Point("2026-11", 0.6, 0.4, 0.8, "c"),
                    ],
                )
            ],
        )
    )
    # a hidden month leaves a gap: two points, no line bridging them
    assert len(line.findall(f".//{ns}circle")) == 2
    assert not [p for p in line.findall(f".//{ns}path") if p.get("fill") == "none" and "L" in (p.get("d") or "")]
    joined = ET.fromstring(
        charts.trend(
            "c4",
            "Trend",
            ["2026-09", "2026-10"],
            [charts.Series("sgb2", "SGB II", [charts.Point(m, 0.5, 0.3, 0.7, m) for m in ("2026-09", "2026-10")])],
        )
    )
    assert (
        len([p for p in joined.findall(f".//{ns}path") if p.get("fill") == "none" and "L" in (p.get("d") or "")]) == 1
    )
