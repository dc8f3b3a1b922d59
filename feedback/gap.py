"""The gap within one group: "would recommend" minus "next appointment by video".

The same respondents answer both questions, so the two shares are paired; the interval is
Newcombe's paired method 10 (``feedback.comparison.newcombe_paired``).
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback.cells import Cell, hidden
from feedback.comparison import newcombe_paired
from feedback.questionnaire import Answers
from feedback.report import GroupReport
from feedback.suppression import MIN_CELL

__all__ = ["TABLE", "METRIC", "paired_counts", "gap_cells"]

TABLE = "gap"
METRIC = "recommend_minus_next"


def paired_counts(responses: Sequence[Answers]) -> tuple[int, int, int, int]:
    """(both yes, only recommend, only next by video, neither) over every response."""
    a = b = c = d = 0
    for answer in responses:
        recommend, next_time = answer.recommend == "yes", answer.next_by_video == "yes"
        if recommend and next_time:
            a += 1
        elif recommend:
            b += 1
        elif next_time:
            c += 1
        else:
            d += 1
    return a, b, c, d


def gap_cells(report: GroupReport, responses: Sequence[Answers]) -> list[Cell]:
    """The paired difference; hidden with either share, its interval withheld for small cells.

    The difference follows from the two published shares. Its interval, however, also
    depends on how the answers pair up: with the shares known, it would give away the
    four cells of the 2 × 2 table, so it is only shown when each holds ``MIN_CELL`` answers.
    """
    recommend, next_time = report.figure("recommend", "yes"), report.figure("next_by_video", "yes")
    if recommend.suppressed or next_time.suppressed or not responses:
        return [hidden(TABLE, METRIC)]
    a, b, c, d = paired_counts(responses)
    n = a + b + c + d
    interval = newcombe_paired(a, b, c, d)
    if min(a, b, c, d) < MIN_CELL:
        return [Cell(TABLE, METRIC, "", "", n, None, interval.estimate, None, None, False, "interval_withheld")]
    return [Cell(TABLE, METRIC, "", "", n, None, interval.estimate, interval.low, interval.high, False)]
