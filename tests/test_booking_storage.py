"""Booking against real SQLite and PostgreSQL: one slot, one booking, whatever the race."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.appointment import BookingRequest, Channel, Status
from booking.availability import BERLIN, Absence
from booking.errors import BookingClosed, OutsideAvailability, SlotInPast, SlotTaken
from recordings_policy import load_policy
from storage import availability, bookings, users
from storage.models import BookingRow
from storage.purge import purge
from tests.conftest import PASSWORD, TEST_PASSWORDS

# Monday 1 June 2026, 07:00 Berlin: the whole default week lies ahead.
NOW = datetime(2026, 6, 1, 7, tzinfo=BERLIN).astimezone(UTC)
SLOT = datetime(2026, 6, 1, 9, tzinfo=BERLIN).astimezone(UTC)


async def _caseworker(db) -> int:  # type: ignore[no-untyped-def]
    async with db() as s:
        return (await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)).id


def _request(caseworker_id: int, start: datetime = SLOT, key: str | None = None) -> BookingRequest:
    return BookingRequest(
        caseworker_id=caseworker_id,
        channel=Channel.PHONE,
        starts_at=start,
        idempotency_key=key or str(uuid.uuid4()),
        phone="+49301234567",
        group="sgb2",
    )


@pytest.mark.usefixtures("database")
async def test_fifty_concurrent_attempts_give_one_booking(db) -> None:  # type: ignore[no-untyped-def]
    caseworker = await _caseworker(db)
    results = await asyncio.gather(
        *(bookings.book(db, _request(caseworker), NOW) for _ in range(50)), return_exceptions=True
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 49
    assert all(isinstance(r, SlotTaken) for r in lost), {type(r) for r in lost}
    expected_next = [SLOT - timedelta(hours=1), SLOT - timedelta(minutes=30), SLOT + timedelta(minutes=30)]
    for refused in lost:
        assert isinstance(refused, SlotTaken)
        assert refused.alternatives[:3] == expected_next and SLOT not in refused.alternatives
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(BookingRow)) == 1


@pytest.mark.usefixtures("database")
async def test_same_idempotency_key_books_once_and_cancel_frees_the_slot(db) -> None:  # type: ignore[no-untyped-def]
    caseworker = await _caseworker(db)
    first, second = await asyncio.gather(*(bookings.book(db, _request(caseworker, key="k1"), NOW) for _ in range(2)))
    assert first.id == second.id
    cancelled = await bookings.cancel(db, first.id)
    assert cancelled.status is Status.CANCELLED and cancelled.phone is None
    again = await bookings.book(db, _request(caseworker), NOW)
    assert again.starts_at == SLOT
    with pytest.raises(BookingClosed):
        await bookings.cancel(db, first.id)


@pytest.mark.usefixtures("database")
async def test_reschedule_keeps_the_old_booking_when_the_new_slot_is_taken(db) -> None:  # type: ignore[no-untyped-def]
    caseworker = await _caseworker(db)
    mine = await bookings.book(db, _request(caseworker), NOW)
    later = SLOT + timedelta(hours=1)
    await bookings.book(db, _request(caseworker, later), NOW)
    with pytest.raises(SlotTaken):
        await bookings.book(db, _request(caseworker, later), NOW, replaces=mine.id)
    async with db() as s:
        assert (await bookings.get_booking(s, mine.id)).status is Status.BOOKED
    moved = await bookings.book(db, _request(caseworker, SLOT + timedelta(hours=2)), NOW, replaces=mine.id)
    async with db() as s:
        assert (await bookings.get_booking(s, mine.id)).status is Status.CANCELLED
        assert (await bookings.get_booking(s, moved.id)).status is Status.BOOKED


async def test_refusals_for_past_off_grid_and_absent_times(db) -> None:  # type: ignore[no-untyped-def]
    caseworker = await _caseworker(db)
    with pytest.raises(SlotInPast) as past:
        await bookings.book(db, _request(caseworker, NOW - timedelta(hours=1)), NOW)
    assert past.value.alternatives[0] == datetime(2026, 6, 1, 8, tzinfo=BERLIN)
    with pytest.raises(OutsideAvailability):
        await bookings.book(db, _request(caseworker, SLOT + timedelta(minutes=10)), NOW)
    async with db.begin() as s:
        await availability.add_absence(s, Absence(date(2026, 6, 1), date(2026, 6, 1)), caseworker_id=caseworker)
    with pytest.raises(OutsideAvailability) as absent:
        await bookings.book(db, _request(caseworker), NOW)
    assert absent.value.alternatives[0] == datetime(2026, 6, 2, 8, tzinfo=BERLIN)


@pytest.mark.usefixtures("database")
async def test_purge_deletes_bookings_and_numbers_after_the_retention(db) -> None:  # type: ignore[no-untyped-def]
    caseworker = await _caseworker(db)
    await bookings.book(db, _request(caseworker), NOW)
    policy = load_policy()
    assert (await purge(db, policy, SLOT + timedelta(days=7))).deleted["bookings"] == 0
    assert (await purge(db, policy, SLOT + timedelta(days=8))).deleted["bookings"] == 1
