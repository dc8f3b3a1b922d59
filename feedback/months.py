"""Calendar months in Europe/Berlin: the only time an answer carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["month_of", "month_bounds", "valid_month"]

_BERLIN = ZoneInfo("Europe/Berlin")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_of(moment: datetime) -> str:
    """``"YYYY-MM"`` of ``moment`` in Berlin."""
    return moment.astimezone(_BERLIN).strftime("%Y-%m")


def valid_month(value: str) -> bool:
    return bool(_MONTH.match(value))


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a ``"YYYY-MM"`` month in Berlin, as UTC datetimes."""
    match = _MONTH.match(month)
    if not match:
        raise ValueError(f"not a month: {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=_BERLIN)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=_BERLIN)
    return start.astimezone(UTC), end.astimezone(UTC)
