"""Appointments: a slot is taken exactly once, by the database's partial unique index.

Booking is not check-then-insert. The availability check runs first (a friendly answer
for past or off-grid times); the write is a transaction that starts with the INSERT, so
on SQLite it takes the write lock at once and waits its turn instead of failing on a
stale read snapshot. Whoever loses the race gets ``IntegrityError`` → ``SlotTaken``,
with the next free times.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.appointment import Appointment, BookingRequest, Channel, Status
from booking.availability import BERLIN, HORIZON, Schedule
from booking.errors import BookingClosed, BookingNotFound, SlotTaken, SlotUnavailable
from storage.availability import load_schedule
from storage.erasure import checkpoint
from storage.models import BookingRow
from storage.rows import by_key, from_row, one_row

__all__ = [
    "NEXT_FREE",
    "book",
    "free_slots",
    "get_booking",
    "save_booking",
    "cancel",
    "active_of_participant",
    "upcoming_of",
]

# How many alternatives a refused request is offered.
NEXT_FREE = 5


def _to_domain(row: BookingRow) -> Appointment:
    return from_row(Appointment, row, channel=Channel(row.channel), status=Status(row.status))


async def free_slots(
    db: AsyncSession, caseworker_id: int, schedule: Schedule, now: datetime, limit: int | None = None
) -> list[datetime]:
    """Slot starts after ``now`` within the booking horizon that nobody holds."""
    until = now + HORIZON
    taken = set(
        await db.scalars(
            select(BookingRow.starts_at).where(
                BookingRow.caseworker_id == caseworker_id,
                BookingRow.status != Status.CANCELLED.value,
                BookingRow.starts_at > now,
                BookingRow.starts_at < until,
            )
        )
    )
    free = [s for s in schedule.slots(now + timedelta(seconds=1), until) if s not in taken]
    return free[:limit] if limit is not None else free


async def _by_key(db: AsyncSession, key: str) -> Appointment | None:
    row = await db.scalar(select(BookingRow).where(BookingRow.idempotency_key == key))
    return _to_domain(row) if row else None


async def _alternatives(
    dbm: async_sessionmaker[AsyncSession], request: BookingRequest, schedule: Schedule, now: datetime
) -> list[datetime]:
    async with dbm() as db:
        return await free_slots(db, request.caseworker_id, schedule, now, NEXT_FREE)


async def book(
    dbm: async_sessionmaker[AsyncSession], request: BookingRequest, now: datetime, *, replaces: str | None = None
) -> Appointment:
    """Book ``request``; a repeated idempotency key returns the booking it already made.

    ``replaces`` names a booking that is cancelled in the same transaction (reschedule):
    if the new slot is taken, the old booking stays.
    """
    async with dbm() as db:
        existing = await _by_key(db, request.idempotency_key)
        if existing is not None:
            return existing
        schedule = await load_schedule(db, request.caseworker_id, request.office_id, now.astimezone(BERLIN).date())
    try:
        schedule.check(request.starts_at, now)
    except SlotUnavailable as exc:
        exc.alternatives = await _alternatives(dbm, request, schedule, now)
        raise
    row = BookingRow(
        id=str(uuid.uuid4()),
        session_id=request.session_id,
        participant_id=request.participant_id,
        caseworker_id=request.caseworker_id,
        office_id=request.office_id,
        benefit_group=request.group,
        channel=request.channel.value,
        starts_at=request.starts_at,
        ends_at=schedule.slot_end(request.starts_at),
        status=Status.BOOKED.value,
        phone=request.phone if request.channel is Channel.PHONE else None,
        idempotency_key=request.idempotency_key,
        created_at=now,
    )
    try:
        async with dbm.begin() as db:
            if replaces is not None:
                freed = await db.execute(
                    update(BookingRow)
                    .where(BookingRow.id == replaces, BookingRow.status == Status.BOOKED.value)
                    .values(status=Status.CANCELLED.value, phone=None)
                )
                if freed.rowcount != 1:  # type: ignore[attr-defined]
                    raise BookingClosed(replaces)
            db.add(row)
        if replaces is not None:
            await checkpoint(dbm)  # the old booking's phone number is gone from the files too
    except IntegrityError:
        async with dbm() as db:
            # A double click with the same key lost to itself: that booking is the answer.
            # So is the one booking this participant or session already holds (the
            # database allows one): several slots posted at once book exactly one.
            existing = await _by_key(db, request.idempotency_key)
            if existing is None and replaces is None:  # a reschedule holds its old booking
                existing = await _held(db, request)
        if existing is not None:
            return existing
        raise SlotTaken(await _alternatives(dbm, request, schedule, now)) from None
    return _to_domain(row)


async def _held(db: AsyncSession, request: BookingRequest) -> Appointment | None:
    holders = []
    if request.participant_id is not None:
        holders.append(BookingRow.participant_id == request.participant_id)
    if request.session_id is not None:
        holders.append(BookingRow.session_id == request.session_id)
    if not holders:
        return None
    row = await db.scalar(select(BookingRow).where(BookingRow.status == Status.BOOKED.value, or_(*holders)).limit(1))
    return _to_domain(row) if row else None


async def get_booking(db: AsyncSession, booking_id: str, *, for_update: bool = False) -> Appointment:
    row = await one_row(db, BookingRow, BookingRow.id, booking_id, BookingNotFound(booking_id), for_update=for_update)
    return _to_domain(row)


async def save_booking(db: AsyncSession, appointment: Appointment) -> None:
    row = await by_key(db, BookingRow, appointment.id, BookingNotFound(appointment.id))
    row.status = appointment.status.value
    row.phone = appointment.phone
    await db.flush()


async def cancel(dbm: async_sessionmaker[AsyncSession], booking_id: str) -> Appointment:
    """Cancel and free the slot at once (the partial index no longer covers the row)."""
    async with dbm.begin() as db:
        appointment = await get_booking(db, booking_id, for_update=True)
        appointment.cancel()
        await save_booking(db, appointment)
    await checkpoint(dbm)  # the phone number is gone from the files too
    return appointment


async def active_of_participant(db: AsyncSession, participant_id: str, now: datetime) -> Appointment | None:
    """The participant's booked, not yet past appointment, if any (one at a time)."""
    row = await db.scalar(
        select(BookingRow)
        .where(
            BookingRow.participant_id == participant_id,
            BookingRow.status == Status.BOOKED.value,
            BookingRow.ends_at > now,
        )
        .order_by(BookingRow.starts_at)
        .limit(1)
    )
    return _to_domain(row) if row else None


async def upcoming_of(db: AsyncSession, caseworker_id: int, limit: int = 100) -> list[Appointment]:
    """Booked appointments not yet marked done or no-show, earliest first."""
    rows = await db.scalars(
        select(BookingRow)
        .where(BookingRow.caseworker_id == caseworker_id, BookingRow.status == Status.BOOKED.value)
        .order_by(BookingRow.starts_at)
        .limit(limit)
    )
    return [_to_domain(r) for r in rows]
