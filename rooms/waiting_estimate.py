"""How long a recipient will probably wait, from the caseworker's recent pace.

The pace is the caseworker's own: the median gap between the ends of their recent
sessions on the same day, which is about the time one person takes (the conversation
and the caseworker's notes). Gaps longer than ``LONGEST_GAP`` are breaks, not people.
With too little history the pace is ``DEFAULT_MINUTES``. An appointment in the future
puts a floor under the estimate: nobody is let in much before their time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from statistics import median

__all__ = ["DEFAULT_MINUTES", "LONGEST_GAP", "HISTORY", "minutes_per_person", "expected_minutes", "as_said"]

DEFAULT_MINUTES = 15.0
LONGEST_GAP = timedelta(minutes=90)
HISTORY = timedelta(days=14)
_FEWEST_GAPS = 3


def minutes_per_person(ends: Iterable[datetime]) -> float:
    """The median minutes between consecutive session ends (breaks left out)."""
    ordered = sorted(ends)
    gaps = [
        (later - earlier).total_seconds() / 60
        for earlier, later in zip(ordered, ordered[1:], strict=False)
        if timedelta(0) < later - earlier <= LONGEST_GAP
    ]
    if len(gaps) < _FEWEST_GAPS:
        return DEFAULT_MINUTES
    return max(1.0, float(median(gaps)))


def expected_minutes(position: int, pace: float, now: datetime, scheduled_at: datetime | None = None) -> int:
    """Whole minutes until this person is probably let in (0: less than a minute).

    The people ahead take a full pace each; the one in the call is half done on average.
    """
    minutes = max(0.0, position - 0.5) * pace
    if scheduled_at is not None:
        minutes = max(minutes, (scheduled_at - now).total_seconds() / 60)
    return max(0, math.ceil(minutes))


def as_said(minutes: int) -> timedelta:
    """Rounded as people say it: 7 minutes, 25 minutes (to 5), 2 hours (from 90 minutes)."""
    if minutes >= 90:
        return timedelta(hours=round(minutes / 60))
    if minutes >= 10:
        return timedelta(minutes=5 * round(minutes / 5))
    return timedelta(minutes=max(1, minutes))
