"""Small-cell suppression: no published count below ``MIN_CELL``, nor one that can be derived.

Primary suppression hides every count below the threshold. Because the total is shown,
hidden cells could be recovered by subtraction; so secondary suppression hides further
cells (smallest first) until the hidden cells together hold at least ``MIN_CELL``
answers, and never exactly one cell stays hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MIN_CELL", "suppress_counts", "shown"]

MIN_CELL = 5


def shown(n: int) -> bool:
    """Whether a figure based on ``n`` answers may be published at all."""
    return n >= MIN_CELL


def suppress_counts(counts: Mapping[str, int]) -> dict[str, int | None]:
    """The counts to publish for one distribution; None marks a suppressed cell."""
    total = sum(counts.values())
    if not shown(total):
        return {key: None for key in counts}
    hidden = {key for key, count in counts.items() if count < MIN_CELL}
    while hidden:
        hidden_sum = sum(counts[key] for key in hidden)
        visible = sorted((count, key) for key, count in counts.items() if key not in hidden)
        if (hidden_sum >= MIN_CELL and len(hidden) > 1) or not visible:
            break
        hidden.add(visible[0][1])
    return {key: (None if key in hidden else count) for key, count in counts.items()}
