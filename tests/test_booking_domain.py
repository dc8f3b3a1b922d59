"""The booking domain in plain Python: slots across DST, absences, phones, links, .ics."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking.appointment import Appointment, Channel, Status
from booking.availability import BERLIN, DEFAULT_SCHEDULE, Absence, Hours, Schedule, parse_hours
from booking.calendar import appointment_ics
from booking.errors import (
    BookingClosed,
    InvalidHours,
    InvalidPhone,
    LinkExpired,
    LinkInvalid,
    OutsideAvailability,
    SlotInPast,
)
from booking.links import ManageLinks
from booking.phone import normalize_phone
from rooms.session import Outcome


def _local_times(slots: list[datetime]) -> list[str]:
    return [s.astimezone(BERLIN).strftime("%a %H:%M") for s in slots]


@pytest.mark.parametrize(
    ("sunday", "offset_before", "offset_after"),
    [(date(2026, 3, 29), 1, 2), (date(2026, 10, 25), 2, 1)],
)
def test_slots_keep_local_time_across_dst(sunday: date, offset_before: int, offset_after: int) -> None:
    schedule = Schedule(hours=tuple(Hours(d, time(8), time(9)) for d in range(7)))
    since = datetime.combine(sunday - timedelta(days=1), time(0), tzinfo=BERLIN)
    slots = schedule.slots(since.astimezone(UTC), (since + timedelta(days=3)).astimezone(UTC))
    assert _local_times(slots) == ["Sat 08:00", "Sat 08:30", "Sun 08:00", "Sun 08:30", "Mon 08:00", "Mon 08:30"]
    assert slots[0].hour == 8 - offset_before  # UTC before the change
    assert slots[2].hour == 8 - offset_after  # UTC after it


def test_nonexistent_local_time_on_spring_change_is_skipped() -> None:
    schedule = Schedule(hours=(Hours(6, time(1, 30), time(3, 30)),), slot_minutes=30)
    day = datetime(2026, 3, 29, tzinfo=BERLIN)
    slots = schedule.slots(day.astimezone(UTC), (day + timedelta(days=1)).astimezone(UTC))
    assert [s.astimezone(BERLIN).strftime("%H:%M") for s in slots] == ["01:30", "03:00"]


def test_default_hours_absences_and_buffer() -> None:
    monday = datetime(2026, 6, 1, tzinfo=BERLIN).astimezone(UTC)
    week = DEFAULT_SCHEDULE.slots(monday, monday + timedelta(days=7))
    assert len(week) == 5 * 8 + 7  # mornings, plus Thursday afternoon 14:00–17:00
    assert "Thu 17:00" in _local_times(week) and "Thu 17:30" not in _local_times(week)
    away = Schedule(hours=DEFAULT_SCHEDULE.hours, absences=(Absence(date(2026, 6, 2), date(2026, 6, 4)),))
    assert {s.astimezone(BERLIN).day for s in away.slots(monday, monday + timedelta(days=7))} == {1, 5}
    buffered = Schedule(hours=(Hours(0, time(8), time(10)),), slot_minutes=30, buffer_minutes=15)
    assert _local_times(buffered.slots(monday, monday + timedelta(days=1))) == ["Mon 08:00", "Mon 08:45", "Mon 09:30"]


def test_check_refuses_past_and_off_grid_times() -> None:
    now = datetime(2026, 6, 1, 5, tzinfo=UTC)
    DEFAULT_SCHEDULE.check(datetime(2026, 6, 1, 8, tzinfo=BERLIN).astimezone(UTC), now)
    with pytest.raises(SlotInPast):
        DEFAULT_SCHEDULE.check(now - timedelta(hours=1), now)
    for off in (datetime(2026, 6, 1, 8, 10, tzinfo=BERLIN), datetime(2026, 6, 6, 8, tzinfo=BERLIN)):
        with pytest.raises(OutsideAvailability):
            DEFAULT_SCHEDULE.check(off.astimezone(UTC), now)


def test_parse_hours() -> None:
    assert parse_hours(3, "08:00-12:00, 14:00-17:30") == [
        Hours(3, time(8), time(12)),
        Hours(3, time(14), time(17, 30)),
    ]
    assert parse_hours(5, " ") == []
    for bad in ("8-", "12:00-08:00", "morgens"):
        with pytest.raises(InvalidHours):
            parse_hours(0, bad)


def test_phone_numbers() -> None:
    assert normalize_phone("030 1234567") == "+49301234567"
    assert normalize_phone("+49 170 1234567") == "+491701234567"
    for bad in ("", "123", "hallo", "+49 0000"):
        with pytest.raises(InvalidPhone):
            normalize_phone(bad)


def test_manage_links_sign_expire_and_refuse_tampering() -> None:
    links = ManageLinks(Ed25519PrivateKey.generate())
    now = datetime(2026, 6, 1, tzinfo=UTC)
    booking_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    token = links.issue(booking_id, now + timedelta(days=1))
    assert links.verify(token, now) == booking_id
    assert links.issue(booking_id, now + timedelta(days=1)) == token
    with pytest.raises(LinkExpired):
        links.verify(token, now + timedelta(days=2))
    other = "0" * 8 + booking_id[8:]
    # A changed signature character (never one of the last: their spare bits may not count).
    flipped = token[:-10] + ("B" if token[-10] == "A" else "A") + token[-9:]
    for bad in (flipped, token.replace(booking_id, other), "x", token + ".x"):
        with pytest.raises(LinkInvalid):
            links.verify(bad, now)
    with pytest.raises(LinkInvalid):
        ManageLinks(Ed25519PrivateKey.generate()).verify(token, now)


def test_appointment_life_and_outcome() -> None:
    start = datetime(2026, 6, 1, 6, tzinfo=UTC)
    phone = Appointment("a", 1, Channel.PHONE, start, start, Status.BOOKED, phone="+49301234567")
    assert phone.complete(Status.DONE) is Outcome.PHONE
    with pytest.raises(BookingClosed):
        phone.cancel()
    visit = Appointment("b", 1, Channel.IN_PERSON, start, start, Status.BOOKED)
    assert visit.complete(Status.NO_SHOW) is Outcome.NO_SHOW
    cancelled = Appointment("c", 1, Channel.PHONE, start, start, Status.BOOKED, phone="+49301234567")
    cancelled.cancel()
    assert cancelled.status is Status.CANCELLED and cancelled.phone is None


def test_ics_has_berlin_local_time() -> None:
    start = datetime(2026, 10, 26, 8, tzinfo=BERLIN).astimezone(UTC)
    raw = appointment_ics("x", start, start + timedelta(minutes=30), "Termin", "", "Amt", start)
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert b"DTSTART;TZID=Europe/Berlin:20261026T080000" in raw
    assert event.decoded("dtstart").astimezone(UTC) == start
