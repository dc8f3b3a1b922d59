"""The evaluation of one group: every figure computed, intervals attached, small cells hidden.

A report always describes exactly one group (SGB II or SGB III); there is no pooled report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedback.errors import PooledRequest
from feedback.questionnaire import QUESTIONS, Answers, Rating
from feedback.statistics import mean_interval, wilson
from feedback.suppression import shown, suppress_counts

__all__ = [
    "GROUPS",
    "OUTCOMES",
    "DISTRIBUTIONS",
    "MEANS",
    "Figure",
    "GroupReport",
    "require_group",
    "build_report",
]

GROUPS = ("sgb2", "sgb3")
OUTCOMES = ("video", "phone", "in_person", "technical_failure", "no_show")
DISTRIBUTIONS = ("recommend", "next_by_video", "device", "setup_help")
MEANS = ("satisfaction", "technical_quality", "rating_effort", "rating_technical_quality")
_OPTIONS = {q.name: tuple(value for value, _label in q.options) for q in QUESTIONS}


@dataclass(frozen=True)
class Figure:
    """One published cell. A suppressed cell has ``suppressed`` set and no numbers."""

    metric: str
    category: str
    n: int | None
    count: int | None
    estimate: float | None
    low: float | None
    high: float | None
    suppressed: bool


@dataclass(frozen=True)
class GroupReport:
    group: str
    respondents: int | None  # None when below the threshold
    figures: tuple[Figure, ...]

    def figure(self, metric: str, category: str = "") -> Figure:
        for item in self.figures:
            if item.metric == metric and item.category == category:
                return item
        raise KeyError((metric, category))

    def metric(self, metric: str) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.metric == metric)


def require_group(value: str | None) -> str:
    """The one group asked for; anything pooled or unknown is refused."""
    if value not in GROUPS:
        raise PooledRequest(value)
    return value


def _hidden(metric: str, category: str = "") -> Figure:
    return Figure(metric, category, None, None, None, None, None, True)


def _distribution(metric: str, categories: Sequence[str], values: Sequence[str]) -> list[Figure]:
    counts = {c: sum(1 for v in values if v == c) for c in categories}
    published = suppress_counts(counts)
    n = len(values)
    figures = []
    for category in categories:
        count = published[category]
        if count is None:
            figures.append(_hidden(metric, category))
            continue
        interval = wilson(count, n)
        figures.append(Figure(metric, category, n, count, interval.estimate, interval.low, interval.high, False))
    return figures


def _mean(metric: str, values: Sequence[int]) -> Figure:
    if not shown(len(values)):
        return _hidden(metric)
    interval = mean_interval([float(v) for v in values])
    return Figure(metric, "", len(values), None, interval.estimate, interval.low, interval.high, False)


def _gap(recommend: Figure, next_time: Figure) -> Figure:
    # A difference of two shares is only as safe as both of its cells.
    if recommend.suppressed or next_time.suppressed:
        return _hidden("recommend_minus_next")
    assert recommend.estimate is not None and next_time.estimate is not None
    return Figure(
        "recommend_minus_next",
        "",
        recommend.n,
        None,
        recommend.estimate - next_time.estimate,
        None,
        None,
        False,
    )


def build_report(
    group: str,
    responses: Sequence[Answers],
    ratings: Sequence[Rating],
    outcomes: Sequence[str],
) -> GroupReport:
    """All figures of one group from its responses, caseworker ratings and session outcomes."""
    require_group(group)
    figures: list[Figure] = []
    for metric in DISTRIBUTIONS:
        values = [str(getattr(r, metric)) for r in responses]
        figures += _distribution(metric, _OPTIONS[metric], values)
    figures.append(_gap(_find(figures, "recommend", "yes"), _find(figures, "next_by_video", "yes")))
    figures.append(_mean("satisfaction", [r.satisfaction for r in responses]))
    figures.append(
        _mean(
            "technical_quality",
            [r.technical_quality for r in responses if r.technical_quality is not None],
        )
    )
    figures.append(_mean("rating_effort", [r.effort for r in ratings]))
    figures.append(_mean("rating_technical_quality", [r.technical_quality for r in ratings]))
    figures += _distribution("outcome", OUTCOMES, list(outcomes))
    respondents = len(responses) if shown(len(responses)) else None
    return GroupReport(group, respondents, tuple(figures))


def _find(figures: Sequence[Figure], metric: str, category: str) -> Figure:
    return next(f for f in figures if f.metric == metric and f.category == category)
