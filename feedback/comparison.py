"""SGB II compared with SGB III: differences of shares with Newcombe's hybrid score interval.

The two groups stay two samples: each share is computed within its group and only their
difference is published, never a share of both together. Newcombe (1998a), method 10,
combines the two Wilson intervals ("square and add"); Newcombe (1998b), method 10, does
the same for two shares of the same respondents, corrected for their correlation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from feedback.report import Figure, GroupReport
from feedback.statistics import Z95, Interval, wilson

__all__ = [
    "COMPARED",
    "COMPARISON_COLUMNS",
    "Difference",
    "newcombe_difference",
    "newcombe_paired",
    "compare",
    "difference_row",
]

# (metric, category) of the report figures whose SGB II − SGB III difference is published.
COMPARED = (("recommend", "yes"), ("next_by_video", "yes"), ("outcome", "video"))
COMPARISON_COLUMNS = (
    "metric",
    "category",
    "sgb2_count",
    "sgb2_n",
    "sgb2_estimate",
    "sgb3_count",
    "sgb3_n",
    "sgb3_estimate",
    "difference",
    "low",
    "high",
    "suppressed",
)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval:
    """``x1/n1 − x2/n2`` of two independent samples with Newcombe's method 10 interval.

    With Wilson limits (l1, u1) and (l2, u2): L = D − √((p1 − l1)² + (u2 − p2)²),
    U = D + √((u1 − p1)² + (p2 − l2)²).
    """
    first, second = wilson(x1, n1, z), wilson(x2, n2, z)
    p1, p2 = first.estimate, second.estimate
    d = p1 - p2
    low = d - math.hypot(p1 - first.low, second.high - p2)
    high = d + math.hypot(first.high - p1, p2 - second.low)
    return Interval(d, max(-1.0, low), min(1.0, high))


def newcombe_paired(a: int, b: int, c: int, d: int, z: float = Z95) -> Interval:
    """``(a + b)/n − (a + c)/n`` of one sample answering twice, Newcombe (1998b) method 10.

    ``a`` said yes to both, ``b`` yes only to the first, ``c`` yes only to the second, ``d``
    to neither. The square-and-add limits carry the correlation φ̂ of the two answers:
    δ = √((p1 − l1)² − 2φ̂(p1 − l1)(u2 − p2) + (u2 − p2)²), L = D − δ, and ε likewise for U.
    """
    if min(a, b, c, d) < 0 or a + b + c + d == 0:
        raise ValueError("need non-negative cells and at least one pair")
    n = a + b + c + d
    first, second = wilson(a + b, n, z), wilson(a + c, n, z)
    p1, p2 = first.estimate, second.estimate
    product = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    if product == 0:
        phi = 0.0
    else:
        # Newcombe's φ̂: the cross product moved n/2 towards zero, zero in between.
        adjusted = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = adjusted / math.sqrt(product)
    dl1, du1 = p1 - first.low, first.high - p1
    dl2, du2 = p2 - second.low, second.high - p2
    delta = math.sqrt(max(0.0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2))
    epsilon = math.sqrt(max(0.0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2))
    difference = p1 - p2
    return Interval(difference, max(-1.0, difference - delta), min(1.0, difference + epsilon))


@dataclass(frozen=True)
class Difference:
    """SGB II − SGB III for one share. Suppressed when either group's cell is suppressed."""

    metric: str
    category: str
    sgb2_count: int | None
    sgb2_n: int | None
    sgb2_estimate: float | None
    sgb3_count: int | None
    sgb3_n: int | None
    sgb3_estimate: float | None
    difference: float | None
    low: float | None
    high: float | None
    suppressed: bool


def _difference(metric: str, category: str, sgb2: Figure, sgb3: Figure) -> Difference:
    # A difference is only as safe as both of its cells: with one side hidden, the
    # difference and the other side would give the hidden one away.
    if sgb2.suppressed or sgb3.suppressed or None in (sgb2.count, sgb2.n, sgb3.count, sgb3.n):
        return Difference(metric, category, None, None, None, None, None, None, None, None, None, True)
    assert sgb2.count is not None and sgb2.n is not None and sgb3.count is not None and sgb3.n is not None
    interval = newcombe_difference(sgb2.count, sgb2.n, sgb3.count, sgb3.n)
    return Difference(
        metric,
        category,
        sgb2.count,
        sgb2.n,
        sgb2.count / sgb2.n,
        sgb3.count,
        sgb3.n,
        sgb3.count / sgb3.n,
        interval.estimate,
        interval.low,
        interval.high,
        False,
    )


def compare(reports: Sequence[GroupReport]) -> tuple[Difference, ...]:
    """The differences SGB II − SGB III; empty unless both groups' reports are given."""
    by_group = {r.group: r for r in reports}
    if set(by_group) != {"sgb2", "sgb3"}:
        return ()
    return tuple(
        _difference(
            metric, category, by_group["sgb2"].figure(metric, category), by_group["sgb3"].figure(metric, category)
        )
        for metric, category in COMPARED
    )


def difference_row(item: Difference) -> dict[str, Any]:
    row = asdict(item)
    for key in ("sgb2_estimate", "sgb3_estimate", "difference", "low", "high"):
        if row[key] is not None:
            row[key] = round(row[key], 4)
    return row
