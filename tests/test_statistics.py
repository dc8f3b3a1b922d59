"""Statistics, small-cell suppression and the per-group report, against known values."""

from __future__ import annotations

import pytest

from feedback.errors import PooledRequest
from feedback.questionnaire import Answers, Rating
from feedback.report import build_report, require_group
from feedback.statistics import mean_interval, t_quantile_975, wilson
from feedback.suppression import suppress_counts


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (48, 100, 0.3846, 0.5768),
        (96, 100, 0.9016, 0.9843),
    ],
)
def test_wilson_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    interval = wilson(k, n)
    assert interval.estimate == pytest.approx(k / n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_t_interval_matches_reference_values() -> None:
    interval = mean_interval([1, 2, 3, 4, 5])
    assert interval.estimate == 3
    assert (round(interval.low, 4), round(interval.high, 4)) == (1.0368, 4.9632)
    assert t_quantile_975(1) == pytest.approx(12.7062)
    assert t_quantile_975(40) == pytest.approx(2.0211, abs=1e-4)
    assert t_quantile_975(120) == pytest.approx(1.9799, abs=1e-4)
    assert t_quantile_975(10_000) == pytest.approx(1.9602, abs=1e-4)


def test_small_cells_are_suppressed() -> None:
    assert suppress_counts({"yes": 3}) == {"yes": None}
    assert suppress_counts({"yes": 10, "no": 10}) == {"yes": 10, "no": 10}
    # the total is below 5: nothing is shown
    assert suppress_counts({"yes": 2, "no": 2}) == {"yes": None, "no": None}


def test_a_suppressed_cell_cannot_be_recovered_from_the_total() -> None:
    # Hiding only "no" (3) would let anyone compute it as 29 - 20 - 6.
    assert suppress_counts({"yes": 20, "no": 3, "dont_know": 6}) == {
        "yes": 20,
        "no": None,
        "dont_know": None,
    }
    # Two hidden cells that together hold fewer than 5 answers are still too small.
    assert suppress_counts({"a": 10, "b": 7, "c": 1, "d": 2}) == {"a": 10, "b": None, "c": None, "d": None}
    # A unanimous answer reveals everyone's answer: nothing of that question is shown.
    assert suppress_counts({"yes": 20, "no": 0}) == {"yes": None, "no": None}


def _answers(recommend: str, next_by_video: str, device: str = "smartphone", satisfaction: int = 4) -> Answers:
    return Answers(recommend, next_by_video, satisfaction, 4, device, "no", None)


def test_report_of_one_group_with_gap_and_complementary_suppression() -> None:
    responses = (
        [_answers("yes", "yes", "smartphone", 5)] * 5
        + [_answers("yes", "no", "computer", 3)] * 5
        + [_answers("no", "dont_know", "tablet", 4)] * 5
    )
    report = build_report("sgb2", responses, [Rating(4, 3)] * 3, ["video"] * 6 + ["phone"] * 2, version="1")
    assert report.respondents == 15
    yes = report.figure("recommend", "yes")
    assert (yes.count, yes.n) == (10, 15) and yes.estimate == pytest.approx(2 / 3)
    # "don't know" is 0: shown next to the total it would reveal that "no" is 5, so both go
    assert report.figure("recommend", "dont_know").suppressed
    assert report.figure("recommend", "no").suppressed
    assert [f.count for f in report.metric("next_by_video")] == [5, 5, 5]
    gap = report.figure("recommend_minus_next")
    assert gap.estimate == pytest.approx(2 / 3 - 1 / 3)
    assert report.figure("satisfaction").estimate == pytest.approx(4.0)
    # 3 caseworker ratings: the means are hidden
    assert report.figure("rating_effort").suppressed
    # outcomes: 6 video, 2 phone, 0 elsewhere — phone (2) and the zeros hide together,
    # and since they hold fewer than 5 sessions the video cell goes too
    assert all(f.suppressed for f in report.metric("outcome"))


def test_gap_is_hidden_when_one_of_its_cells_is() -> None:
    responses = [_answers("yes", "yes")] * 3 + [_answers("yes", "no")] * 6 + [_answers("no", "no")] * 6
    report = build_report("sgb3", responses, [], [], version="1")
    assert report.figure("next_by_video", "yes").suppressed
    assert report.figure("recommend_minus_next").suppressed


@pytest.mark.parametrize("value", [None, "", "both", "all", "sgb2,sgb3"])
def test_pooled_or_unknown_group_is_refused(value: str | None) -> None:
    with pytest.raises(PooledRequest):
        require_group(value)
    with pytest.raises(PooledRequest):
        build_report(value or "", [], [], [])
