"""The evaluation of one group: every figure computed, intervals attached, small cells hidden.

A report always describes exactly one group (SGB II or SGB III); there is no pooled report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feedback.errors import PooledRequest
from feedback.questionnaire import NO_ANSWER, NOT_ASKED, QUESTIONS, VERSION, Answers, Rating
from feedback.statistics import mean_interval, wilson
from feedback.suppression import MIN_CELL, shown, suppress_counts

__all__ = [
    "GROUPS",
    "OUTCOMES",
    "DISTRIBUTIONS",
    "MEANS",
    "CHANNELS",
    "distributions_for",
    "Figure",
    "GroupReport",
    "require_group",
    "build_report",
]

GROUPS = ("sgb2", "sgb3")
OUTCOMES = ("video", "phone", "in_person", "technical_failure", "no_show")
DISTRIBUTIONS = ("recommend", "next_by_video", "why_not_video", "why_not_recommend", "device", "setup_help")
_FOLLOW_UPS = ("why_not_video", "why_not_recommend")
# Asked after a video session only: their shares are over those who were asked.
_VIDEO_ONLY = ("device", "setup_help")
MEANS = ("satisfaction", "technical_quality", "rating_effort", "rating_technical_quality")
CHANNELS = ("video", "phone", "in_person")
_OPTIONS = {q.name: tuple(value for value, _label in q.options) for q in QUESTIONS}


def distributions_for(version: str) -> tuple[str, ...]:
    """Version 1 had no follow-up question."""
    return DISTRIBUTIONS if version != "1" else tuple(d for d in DISTRIBUTIONS if d not in _FOLLOW_UPS)


def _categories(metric: str, version: str) -> tuple[str, ...]:
    # Version 1 had no "keine Angabe": no structural zero cell for it.
    options = _OPTIONS[metric]
    return options if version != "1" else tuple(o for o in options if o != NO_ANSWER)


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
    version: str = VERSION  # the questionnaire version the answers figures describe

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


def _mean(metric: str, values: Sequence[int], base: int | None = None) -> Figure:
    """A mean, hidden unless it is safe next to everything else on the page:
    - at least ``MIN_CELL`` values;
    - its n subtracted from the respondents (``base``) leaves 0 or at least ``MIN_CELL``
      (so "respondents 7, n = 6" never reveals the one who was not asked or gave no answer);
    - dominance: at least ``MIN_CELL`` values differ from the most common one (a unanimous or
      nearly unanimous mean would reveal the answers its hidden distribution protects).
    """
    n = len(values)
    if not shown(n):
        return _hidden(metric)
    if base is not None and 0 < base - n < MIN_CELL:
        return _hidden(metric)
    most = max(values.count(v) for v in set(values))
    if n - most < MIN_CELL:
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


def _response_rates(offers: Mapping[str, int], answer_channels: Sequence[str]) -> list[Figure]:
    """Answers / offered links per channel with a Wilson interval. A rate is shown only when
    its answer count is publishable among all channels (the same suppression as any
    distribution, so no channel's answers follow from the total) and at least
    ``MIN_CELL`` links were offered."""
    answered = suppress_counts({c: sum(1 for a in answer_channels if a == c) for c in CHANNELS})
    figures = []
    for channel in CHANNELS:
        count, offered = answered[channel], offers.get(channel, 0)
        if count is None or not shown(offered) or count > offered:
            figures.append(_hidden("response_rate", channel))
            continue
        interval = wilson(count, offered)
        figures.append(
            Figure("response_rate", channel, offered, count, interval.estimate, interval.low, interval.high, False)
        )
    return figures


def _values(responses: Sequence[Answers], metric: str) -> list[str]:
    # "Not asked" (None) and "keine Angabe" count as one category: neither can be told apart.
    # The device questions were not asked after a phone or in-person appointment: left out.
    values = [NO_ANSWER if getattr(r, metric) is None else str(getattr(r, metric)) for r in responses]
    return [v for v in values if v != NOT_ASKED] if metric in _VIDEO_ONLY else values


def _asked_distribution(metric: str, categories: Sequence[str], values: Sequence[str], base: int) -> list[Figure]:
    """A distribution over those asked; hidden whole when the few not asked would follow
    from it and the respondents (as for a mean)."""
    if 0 < base - len(values) < MIN_CELL:
        return [_hidden(metric, category) for category in categories]
    return _distribution(metric, categories, values)


def build_report(
    group: str,
    responses: Sequence[Answers],
    ratings: Sequence[Rating],
    outcomes: Sequence[str],
    *,
    version: str = VERSION,
    offers: Mapping[str, int] | None = None,
    answer_channels: Sequence[str] = (),
) -> GroupReport:
    """All figures of one group from its responses (of one questionnaire ``version``),
    caseworker ratings, session outcomes, and the offers and answers per channel (all
    versions) for the response rates."""
    require_group(group)
    figures: list[Figure] = []
    for metric in distributions_for(version):
        figures += _asked_distribution(metric, _categories(metric, version), _values(responses, metric), len(responses))
    figures.append(_gap(_find(figures, "recommend", "yes"), _find(figures, "next_by_video", "yes")))
    base = len(responses)
    figures.append(_mean("satisfaction", [r.satisfaction for r in responses if r.satisfaction is not None], base))
    quality = [r.technical_quality for r in responses if r.technical_quality is not None]
    figures.append(_mean("technical_quality", quality, base))
    figures.append(_mean("rating_effort", [r.effort for r in ratings]))
    figures.append(_mean("rating_technical_quality", [r.technical_quality for r in ratings]))
    figures += _distribution("outcome", OUTCOMES, list(outcomes))
    if offers is not None:
        figures += _response_rates(offers, answer_channels)
    respondents = len(responses) if shown(len(responses)) else None
    return GroupReport(group, respondents, tuple(figures), version)


def _find(figures: Sequence[Figure], metric: str, category: str) -> Figure:
    return next(f for f in figures if f.metric == metric and f.category == category)
