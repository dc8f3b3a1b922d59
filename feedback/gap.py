"""The gap within one group: "would recommend" minus "next appointment by video".

The same respondents answer both questions, so the two shares are paired; their interval
(Newcombe's paired method 10, ``feedback.comparison.newcombe_paired``) needs the 2 x 2
table of both answers, ``paired_counts``. That table is not planned on the grid, so the
published gap (``feedback.grid_figures.gap_cell``) withholds the interval.
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback.questionnaire import Answers

__all__ = ["TABLE", "METRIC", "paired_counts"]

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
