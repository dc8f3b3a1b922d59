"""Published bookable time: weekly hours, absences, slot length and buffer, in Berlin time.

Hours are wall-clock times in Europe/Berlin; slots are generated per local day and only
then converted to UTC, so 08:00 stays 08:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.errors import InvalidHours, OutsideAvailability, SlotInPast

__all__ = [
    "BERLIN",
    "WEEKDAYS",
    "Hours",
    "Absence",
    "Schedule",
    "DEFAULT_SCHEDULE",
    "parse_hours",
]

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Nobody books further ahead than this; it also bounds every slot computation.
HORIZON = timedelta(days=42)


@dataclass(frozen=True, order=True)
class Hours:
    """One bookable interval on a weekday (0 = Monday), local wall-clock time."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidHours("weekday")
        if self.start >= self.end:
            raise InvalidHours("start must lie before end")


@dataclass(frozen=True)
class Absence:
    """Whole days (inclusive) without appointments: a holiday, leave, illness."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InvalidHours("absence ends before it begins")

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def _local(day: date, at: time) -> datetime | None:
    """``day at`` in Berlin as UTC, or None when that wall-clock time does not exist."""
    moment = datetime.combine(day, at, tzinfo=BERLIN)
    utc = moment.astimezone(UTC)
    # A time skipped by the spring change does not round-trip.
    if utc.astimezone(BERLIN).replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return utc


@dataclass(frozen=True)
class Schedule:
    """What one caseworker publishes."""

    hours: tuple[Hours, ...]
    slot_minutes: int = 30
    buffer_minutes: int = 0
    absences: tuple[Absence, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 5 <= self.slot_minutes <= 240:
            raise InvalidHours("slot length")
        if not 0 <= self.buffer_minutes <= 120:
            raise InvalidHours("buffer")

    def _day_slots(self, day: date) -> list[datetime]:
        if any(a.covers(day) for a in self.absences):
            return []
        step = timedelta(minutes=self.slot_minutes + self.buffer_minutes)
        length = timedelta(minutes=self.slot_minutes)
        found: list[datetime] = []
        for hours in sorted(h for h in self.hours if h.weekday == day.weekday()):
            # Walk in naive wall-clock time so DST never shifts the grid.
            start = datetime.combine(day, hours.start)
            end = datetime.combine(day, hours.end)
            while start + length <= end:
                utc = _local(day, start.time())
                if utc is not None:
                    found.append(utc)
                start += step
        return found

    def slots(self, since: datetime, until: datetime) -> list[datetime]:
        """Slot starts (UTC) in [since, until), in order."""
        until = min(until, since + HORIZON)
        day = since.astimezone(BERLIN).date()
        last = until.astimezone(BERLIN).date()
        found: list[datetime] = []
        while day <= last:
            found.extend(s for s in self._day_slots(day) if since <= s < until)
            day += timedelta(days=1)
        return found

    def slot_end(self, start: datetime) -> datetime:
        return start + timedelta(minutes=self.slot_minutes)

    def check(self, start: datetime, now: datetime) -> None:
        """Raise unless ``start`` is a future slot of this schedule."""
        if start <= now:
            raise SlotInPast()
        if start - now > HORIZON or start not in self._day_slots(start.astimezone(BERLIN).date()):
            raise OutsideAvailability()


def parse_hours(weekday: int, text: str) -> list[Hours]:
    """``"08:00-12:00, 14:00-17:30"`` → intervals; empty text means no hours that day."""
    found: list[Hours] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        begin, sep, end = part.partition("-")
        if not sep:
            raise InvalidHours(part)
        try:
            found.append(Hours(weekday, time.fromisoformat(begin.strip()), time.fromisoformat(end.strip())))
        except ValueError:
            raise InvalidHours(part) from None
    return found


def _default_hours() -> tuple[Hours, ...]:
    morning = [Hours(day, time(8), time(12)) for day in range(5)]
    return (*morning, Hours(3, time(14), time(17, 30)))


# Until a caseworker publishes their own, they have these (so a fresh install books at once).
DEFAULT_SCHEDULE = Schedule(hours=_default_hours(), slot_minutes=30, buffer_minutes=0)
