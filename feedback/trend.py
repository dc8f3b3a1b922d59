"""Monthly series per group, with months too small to publish suppressed.

A series shows, per month, a yes/no split (e.g. "would recommend" or "held by video").
A month is shown only when both its yes and its no count reach ``MIN_CELL``. Because the
whole selection's figure is published too, the hidden months could be recovered by
subtracting the shown ones; so further months are hidden (smallest first) until the hidden
months together hold at least ``MIN_CELL`` yes and ``MIN_CELL`` no answers, and never
exactly one month stays hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

from feedback.cells import Cell, hidden, share
from feedback.suppression import shown

__all__ = ["TABLE", "SERIES", "hidden_months", "trend_cells"]

TABLE = "trend"
# metric → (report metric, category) it follows month by month
SERIES = {
    "recommend": ("recommend", "yes"),
    "next_by_video": ("next_by_video", "yes"),
    "video_share": ("outcome", "video"),
}


def _publishable(count: int, n: int) -> bool:
    return shown(count) and shown(n - count)


def hidden_months(series: Mapping[str, tuple[int, int]]) -> set[str]:
    """The months of ``series`` (month → (yes, n)) that must not be shown."""
    hidden_set = {m for m, (count, n) in series.items() if not _publishable(count, n)}
    while hidden_set:
        yes = sum(series[m][0] for m in hidden_set)
        no = sum(series[m][1] - series[m][0] for m in hidden_set)
        if len(hidden_set) > 1 and _publishable(yes, yes + no):
            break
        visible = sorted((series[m][1], m) for m in series if m not in hidden_set)
        if not visible:
            break
        hidden_set.add(visible[0][1])
    return hidden_set


def trend_cells(metric: str, series: Mapping[str, tuple[int, int]]) -> list[Cell]:
    """One cell per month of ``series`` (month → (yes, n)), in calendar order."""
    hidden_set = hidden_months(series)
    return [
        hidden(TABLE, metric, "yes", month)
        if month in hidden_set
        else share(TABLE, metric, "yes", *series[month], month)
        for month in sorted(series)
    ]
