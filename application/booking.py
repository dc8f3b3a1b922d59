"""Booking: the fallback booking (phone or in person), the signed confirmation (cancel,
reschedule), the caseworker's hours and absences, and settling an appointment.

Settling an appointment that came from a video session settles the session's outcome
in the same transaction and tells the live pages through the ``Notifier``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.notifier import Notifier
from booking.appointment import Appointment, BookingRequest, Status
from booking.availability import BERLIN, Absence, Schedule
from booking.errors import BookingNotFound, InvalidHours, SlotUnavailable
from booking.phone import display_phone
from rooms.session import CounselSession
from storage import audit, availability, bookings, sessions
from storage.appointment_views import AppointmentLine, office_appointments
from storage.availability import OfficeInfo, OwnAbsence
from storage.users import Account

__all__ = [
    "NEXT_FREE",
    "AppointmentLine",
    "OfficeInfo",
    "Offer",
    "Refused",
    "active_booking",
    "appointment_for",
    "book_with_first_free",
    "cancel",
    "change_absence",
    "complete",
    "add_absence",
    "free_slots_of",
    "offer",
    "own_schedule",
    "parse_absence",
    "phone_visible",
    "reschedule",
    "save_schedule",
    "todays_office_appointments",
    "with_office",
]

Db = async_sessionmaker[AsyncSession]


NEXT_FREE = bookings.NEXT_FREE
_DAYS_SHOWN = 14
_SLOTS_SHOWN = 80


# ---- the recipient's fallback booking ----------------------------------------------------


@dataclass(frozen=True)
class Offer:
    office: OfficeInfo
    who: str  # "mine" or "any"
    candidates: list[int]  # caseworkers, in the order a booking tries them
    slots: list[datetime]


async def offer(db: Db, session: CounselSession, who: str, now: datetime) -> Offer:
    """The free times of the session's caseworker (or, with ``who="any"``, of the office)."""
    today = now.astimezone(BERLIN).date()
    async with db() as tx:
        office = await availability.office_info(tx, session.office_id)
        if not office.allow_caseworker_choice:
            who = "any"  # the office assigns: whoever is free
        candidates = [session.caseworker_id]
        if who == "any":
            colleagues = await availability.caseworkers_of(tx, session.office_id)
            candidates += [c.id for c in colleagues if c.id != session.caseworker_id]
        free: set[datetime] = set()
        for caseworker_id in candidates:
            schedule = await availability.load_schedule(tx, caseworker_id, session.office_id, today)
            free.update(await bookings.free_slots(tx, caseworker_id, schedule, now))
    shown = sorted(s for s in free if s < now + timedelta(days=_DAYS_SHOWN))[:_SLOTS_SHOWN]
    return Offer(office, who, candidates, shown)


async def active_booking(db: Db, participant_id: str, now: datetime) -> Appointment | None:
    async with db() as tx:
        return await bookings.active_of_participant(tx, participant_id, now)


class Refused(Exception):
    """No candidate had the time free; ``refusals`` says why for each."""

    def __init__(self, refusals: list[SlotUnavailable]) -> None:
        super().__init__("no caseworker free")
        self.refusals = refusals

    def alternatives(self) -> list[datetime]:
        return sorted({a for r in self.refusals for a in r.alternatives})[:NEXT_FREE]


async def book_with_first_free(
    db: Db, session: CounselSession, wanted: BookingRequest, who: str, now: datetime
) -> Appointment:
    """Book with the first candidate caseworker free at the time (``Refused`` otherwise)."""
    candidates = (await offer(db, session, who, now)).candidates
    refusals: list[SlotUnavailable] = []
    for caseworker_id in candidates:
        try:
            return await bookings.book(db, replace(wanted, caseworker_id=caseworker_id), now)
        except SlotUnavailable as exc:
            refusals.append(exc)
    raise Refused(refusals)


# ---- the signed confirmation ---------------------------------------------------------------


async def with_office(db: Db, booking_id: str) -> tuple[Appointment, OfficeInfo]:
    async with db() as tx:
        appointment = await bookings.get_booking(tx, booking_id)
        return appointment, await availability.office_info(tx, appointment.office_id)


async def cancel(db: Db, booking_id: str) -> Appointment:
    return await bookings.cancel(db, booking_id)


async def free_slots_of(db: Db, appointment: Appointment, now: datetime) -> list[datetime]:
    """The free times of the appointment's caseworker, for rescheduling."""
    async with db() as tx:
        schedule = await availability.load_schedule(
            tx, appointment.caseworker_id, appointment.office_id, now.astimezone(BERLIN).date()
        )
        free = await bookings.free_slots(tx, appointment.caseworker_id, schedule, now)
    return [s for s in free if s < now + timedelta(days=_DAYS_SHOWN)][:_SLOTS_SHOWN]


async def reschedule(db: Db, appointment: Appointment, starts_at: datetime, key: str, now: datetime) -> Appointment:
    """Book the new time and cancel the old one in one transaction: never both, never neither."""
    wanted = BookingRequest(
        caseworker_id=appointment.caseworker_id,
        channel=appointment.channel,
        starts_at=starts_at,
        idempotency_key=key,
        session_id=appointment.session_id,
        office_id=appointment.office_id,
        phone=appointment.phone,
    )
    return await bookings.book(db, wanted, now, replaces=appointment.id)


# ---- the caseworker: hours, absences, settling -------------------------------------------


async def own_schedule(db: Db, account: Account, now: datetime) -> tuple[Schedule, list[OwnAbsence]]:
    today = now.astimezone(BERLIN).date()
    async with db() as tx:
        schedule = await availability.load_schedule(tx, account.id, account.office_id, today)
        return schedule, await availability.own_absences(tx, account.id, today)


async def save_schedule(db: Db, caseworker_id: int, schedule: Schedule) -> None:
    async with db.begin() as tx:
        await availability.save_schedule(tx, caseworker_id, schedule)


def parse_absence(first: str, last: str) -> Absence:
    """An absence from two ISO dates (the last may be empty), at most a year long."""
    try:
        first_day = date.fromisoformat(first)
        absence = Absence(first_day, date.fromisoformat(last or first))
    except ValueError:
        raise InvalidHours("absence") from None
    if absence.last - absence.first > timedelta(days=366):
        raise InvalidHours("too long")
    return absence


async def add_absence(db: Db, caseworker_id: int, absence: Absence) -> None:
    async with db.begin() as tx:
        await availability.add_absence(tx, absence, caseworker_id=caseworker_id)


async def change_absence(db: Db, caseworker_id: int, absence_id: int, absence: Absence | None) -> bool:
    """Change (or with None delete) one's own absence; False if there is none such."""
    async with db.begin() as tx:
        if absence is None:
            return await availability.delete_absence(tx, caseworker_id, absence_id)
        return await availability.update_absence(tx, caseworker_id, absence_id, absence)


async def complete(
    db: Db, notifier: Notifier, booking_id: str, caseworker_id: int, status: Status, now: datetime
) -> Appointment:
    """Done or no-show; this also settles the outcome of the session the booking came from,
    and a session still open ends for everyone in it."""
    ended = None
    async with db.begin() as tx:
        appointment = await bookings.get_booking(tx, booking_id, for_update=True)
        if appointment.caseworker_id != caseworker_id:
            raise BookingNotFound()
        outcome = appointment.complete(status)
        await bookings.save_booking(tx, appointment)
        if appointment.session_id is not None:
            session = await sessions.get_session(tx, appointment.session_id, for_update=True)
            was_open = session.joinable
            session.settle(outcome, now)
            await sessions.save_session(tx, session)
            ended = session.id if was_open else None
    if ended is not None:
        await notifier.session_ended(ended, outcome)
    return appointment


# ---- one appointment, as the person who holds it sees it --------------------------------


def phone_visible(appointment: Appointment, moment_day: date) -> bool:
    """From the appointment's day (Berlin) until it is settled (done, no-show, cancelled)."""
    return (
        appointment.status is Status.BOOKED
        and appointment.phone is not None
        and appointment.starts_at.astimezone(BERLIN).date() <= moment_day
    )


def _may_see(account: Account, appointment: Appointment) -> bool:
    if account.role == "caseworker":
        return appointment.caseworker_id == account.id
    if account.role == "admin":
        return account.office_id is None or account.office_id == appointment.office_id
    return False


async def appointment_for(
    db: Db, account: Account, booking_id: str, now: datetime
) -> tuple[Appointment, OfficeInfo, str | None]:
    """The appointment, its office, and the phone number when it may be shown (each time
    it is shown is an audit entry); ``BookingNotFound`` for anyone else's."""
    async with db.begin() as tx:
        appointment = await bookings.get_booking(tx, booking_id)
        if not _may_see(account, appointment):
            raise BookingNotFound()
        office = await availability.office_info(tx, appointment.office_id)
        phone = None
        if appointment.phone is not None and phone_visible(appointment, now.astimezone(BERLIN).date()):
            phone = display_phone(appointment.phone)
            await audit.audit(tx, "appointment.phone_viewed", now, f"booking={appointment.id} user={account.id}")
    return appointment, office, phone


async def todays_office_appointments(db: Db, office_id: int | None, now: datetime) -> list[AppointmentLine]:
    """For the admin page: today's booked appointments of the offices an admin manages."""
    day = now.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    async with db() as tx:
        return list(await office_appointments(tx, office_id, day, day + timedelta(days=1)))
