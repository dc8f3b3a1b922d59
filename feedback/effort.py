"""The caseworkers' own ratings per group, kept apart from the recipients' answers.

Effort compared with an appointment in person and technical quality, each on 1–5, as a
distribution with Wilson intervals (the means with t intervals are in the group report).
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback.cells import Cell, hidden, share
from feedback.questionnaire import Rating
from feedback.suppression import suppress_counts

__all__ = ["TABLE", "RATED", "SCALE", "effort_cells"]

TABLE = "effort"
RATED = ("effort", "technical_quality")
SCALE = ("1", "2", "3", "4", "5")


def effort_cells(ratings: Sequence[Rating]) -> list[Cell]:
    cells: list[Cell] = []
    n = len(ratings)
    for metric in RATED:
        counts = {step: sum(1 for r in ratings if str(getattr(r, metric)) == step) for step in SCALE}
        for step, count in suppress_counts(counts).items():
            cells.append(hidden(TABLE, metric, step) if count is None else share(TABLE, metric, step, count, n))
    return cells
