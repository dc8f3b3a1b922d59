"""The evaluation's further figures against known truth: Newcombe's published examples,
generated data with known proportions, and small-cell suppression of every new figure."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass

import pytest

from feedback import charts
from feedback.channels import band_position, channel_cells
from feedback.comparison import compare, newcombe_difference, newcombe_paired
from feedback.effort import effort_cells
from feedback.equipment import equipment_cells
from feedback.evaluation import GroupInputs, build_details, build_evaluation
from feedback.gap import gap_cells, paired_counts
from feedback.questionnaire import Answers, Rating
from feedback.reasons import REASONS, reason_cells, reason_counts
from feedback.report import build_report
from feedback.trend import hidden_months, trend_cells


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

    gap = gap_cells(sgb2, responses(80, 70, 10, 40))[0]
    assert paired_counts(responses(80, 70, 10, 40)) == (80, 70, 10, 40)
    assert r4(gap.estimate) == r4(0.75 - 0.45)  # type: ignore[arg-type]
    paired = newcombe_paired(80, 70, 10, 40)
    assert (gap.low, gap.high, gap.note) == (paired.low, paired.high, "")


def test_a_difference_never_reveals_a_suppressed_cell() -> None:
    sgb2 = build_report("sgb2", responses(20, 5, 5, 5), [], ["video"] * 6 + ["phone"] * 5)
    sgb3 = build_report("sgb3", responses(3, 0, 0, 0), [], ["video"] * 2)
    assert sgb3.figure("recommend", "yes").suppressed
    assert all(d.suppressed and d.difference is None and d.sgb2_count is None for d in compare([sgb2, sgb3]))
    # one group alone is never compared with anything
    assert compare([sgb2]) == ()


def test_the_paired_interval_is_withheld_when_it_would_give_a_small_cell_away() -> None:
    # 3 people would recommend but not take the next appointment by video
    report = build_report("sgb2", responses(20, 3, 7, 10), [], [])
    cell = gap_cells(report, responses(20, 3, 7, 10))[0]
    assert not cell.suppressed and r4(cell.estimate) == r4(23 / 40 - 27 / 40)  # type: ignore[arg-type]
    assert (cell.low, cell.high, cell.note) == (None, None, "interval_withheld")
    small = build_report("sgb2", responses(2, 1, 0, 1), [], [])
    assert gap_cells(small, responses(2, 1, 0, 1))[0].suppressed


@dataclass(frozen=True)
class WithReasons:
    recommend: str
    next_by_video: str
    reasons: object


def test_reasons_are_read_from_a_follow_up_field_and_suppressed_like_any_distribution() -> None:
    generated = (
        [WithReasons("yes", "no", ["prefer_in_person"])] * 12
        + [WithReasons("yes", "no", "documents")] * 6
        + [WithReasons("no", "no", ["no_device"])] * 2
        + [WithReasons("yes", "yes", None)] * 9
    )
    counts = reason_counts(generated)
    assert counts == (Counter({"prefer_in_person": 12, "documents": 6, "no_device": 2}), 20)
    cells = {c.category: c for c in reason_cells(*counts)}
    assert list(cells) == list(REASONS)
    assert r4(cells["prefer_in_person"].estimate) == 0.6 and cells["prefer_in_person"].n == 20  # type: ignore[arg-type]
    # 2 and the zeros are hidden; they hold only 2 answers, which 20 − 12 would give away,
    # so the next smallest reason (6) is hidden with them
    assert cells["no_device"].suppressed and cells["documents"].suppressed
    assert sum(counts[0][c] for c, cell in cells.items() if cell.suppressed) >= 5  # type: ignore[index]

    # other spellings of the field and the codes count as the same reasons
    @dataclass(frozen=True)
    class OtherSpelling:
        not_video_reasons: tuple[str, ...]

    assert reason_counts([OtherSpelling(("in_person", "mobile_data"))] * 2) == (
        Counter({"prefer_in_person": 2, "data_costs": 2}),
        2,
    )
    # answers of questionnaire version 1 have no follow-up: no reasons table at all
    assert reason_counts(responses(5, 5, 5, 5)) is None


def test_several_reasons_per_person_are_each_a_split_of_their_own() -> None:
    generated = [WithReasons("no", "no", "prefer_in_person,documents")] * 6 + [
        WithReasons("no", "no", ["prefer_in_person"])
    ] * 6
    cells = {c.category: c for c in reason_cells(*reason_counts(generated))}  # type: ignore[misc]
    assert cells["prefer_in_person"].suppressed  # 12 of 12: the "not chosen" count is 0
    assert cells["documents"].count == 6 and cells["documents"].n == 12


def test_equipment_shares_per_month_hide_small_device_classes_and_verdicts() -> None:
    counts = {
        ("2026-10", "smartphone", "video"): 30,
        ("2026-10", "smartphone", "audio_only"): 6,
        ("2026-10", "smartphone", "not_possible"): 8,
        ("2026-10", "computer", "video"): 10,
        ("2026-10", "tablet", "video"): 2,
        ("2026-11", "smartphone", "video"): 3,
    }
    cells = {(c.month, c.metric, c.category): c for c in equipment_cells(counts)}
    phone_video = cells[("2026-10", "smartphone", "video")]
    assert (phone_video.count, phone_video.n, r4(phone_video.estimate)) == (30, 44, r4(30 / 44))  # type: ignore[arg-type]
    # tablet (2) hidden, and a second device class with it so 2 cannot be subtracted out
    assert cells[("2026-10", "device_class", "tablet")].suppressed
    assert cells[("2026-10", "device_class", "computer")].suppressed
    assert cells[("2026-10", "device_class", "smartphone")].count == 44
    # computers: 10 checks, all "video": the zero cells are hidden, and so is the 10
    assert all(cells[("2026-10", "computer", v)].suppressed for v in ("video", "audio_only", "not_possible"))
    assert all(c.suppressed for (m, _d, _v), c in cells.items() if m == "2026-11")


def test_the_trend_hides_small_months_and_enough_others_that_no_month_can_be_subtracted() -> None:
    series = {"2026-09": (10, 20), "2026-10": (2, 3), "2026-11": (12, 18), "2026-12": (9, 30)}
    assert hidden_months(series) == {"2026-10", "2026-11"}  # 2 of 3 alone; 2026-11 is next smallest
    cells = {c.month: c for c in trend_cells("recommend", series)}
    assert list(cells) == sorted(series)
    assert cells["2026-09"].count == 10 and not cells["2026-09"].suppressed
    assert cells["2026-10"].suppressed and cells["2026-11"].suppressed
    # all months fine: nothing hidden
    assert hidden_months({"2026-09": (10, 20), "2026-10": (6, 12)}) == set()


def test_band_position_reads_the_whole_interval() -> None:
    assert band_position(0.02, 0.08) == "below"
    assert band_position(0.12, 0.2) == "within"
    assert band_position(0.3, 0.4) == "above"
    assert band_position(0.05, 0.15) == "overlaps"
    report = build_report("sgb2", [], [], ["video"] * 10 + ["phone"] * 30 + ["in_person"] * 10)
    video = next(c for c in channel_cells(report) if c.category == "video")
    assert video.note == band_position(video.low, video.high)  # type: ignore[arg-type]


def test_effort_distribution_is_the_caseworkers_own_and_suppressed() -> None:
    ratings = [Rating(4, 3)] * 6 + [Rating(5, 4)] * 5 + [Rating(2, 4)] * 1
    cells = {(c.metric, c.category): c for c in effort_cells(ratings)}
    assert cells[("effort", "4")].count == 6 and cells[("effort", "4")].n == 12
    assert cells[("effort", "2")].suppressed and cells[("effort", "5")].suppressed


def test_details_and_charts_of_a_generated_evaluation() -> None:
    months = ["2026-09"] * 20 + ["2026-10"] * 20
    answered = responses(15, 10, 5, 10)
    inputs = GroupInputs(
        responses=list(zip(months, answered, strict=True)),
        ratings=[Rating(4, 4)] * 10,
        sessions=[("2026-09", "video")] * 6 + [("2026-09", "phone")] * 6,
        checks={("2026-09", "smartphone", "video"): 12},
    )
    report = build_report("sgb2", answered, inputs.ratings, [o for _m, o in inputs.sessions])
    details = build_details(report, inputs)
    evaluation = build_evaluation([report], [details])
    assert evaluation.comparison == ()
    assert details.months("trend") == ["2026-09", "2026-10"]
    # September: all 20 would recommend (no "not yes" to hide behind) → hidden, and October
    # with it, since the whole selection's figure minus October would give September away
    assert details.cell("trend", "recommend", "yes", "2026-09").suppressed
    assert details.cell("trend", "recommend", "yes", "2026-10").suppressed
    assert details.cell("trend", "next_by_video", "yes", "2026-09").count == 15
    assert details.cell("trend", "next_by_video", "yes", "2026-10").count == 5
    assert details.cell("trend", "video_share", "yes", "2026-09").count == 6

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
