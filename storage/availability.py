"""Published hours, absences and the office facts booking needs: rows in, ``Schedule`` out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.availability import DEFAULT_SCHEDULE, Absence, Hours, Schedule
from storage.models import AbsenceRow, AvailabilityHoursRow, CaseworkerScheduleRow, Office, User

__all__ = [
    "OfficeInfo",
    "Caseworker",
    "load_schedule",
    "save_schedule",
    "add_absence",
    "absences_of",
    "office_info",
    "caseworkers_of",
    "OwnAbsence",
    "own_absences",
    "update_absence",
    "delete_absence",
]


@dataclass(frozen=True)
class OfficeInfo:
    id: int | None
    name: str
    address: str
    allow_caseworker_choice: bool


@dataclass(frozen=True)
class Caseworker:
    id: int
    display_name: str
    office_id: int | None


async def absences_of(db: AsyncSession, caseworker_id: int, office_id: int | None, since: date) -> list[Absence]:
    """The caseworker's own absences and their office's holidays that end on or after ``since``."""
    whose = AbsenceRow.caseworker_id == caseworker_id
    if office_id is not None:
        whose = or_(whose, (AbsenceRow.office_id == office_id) & AbsenceRow.caseworker_id.is_(None))
    rows = await db.scalars(
        select(AbsenceRow).where(whose, AbsenceRow.last_day >= since).order_by(AbsenceRow.first_day)
    )
    return [Absence(r.first_day, r.last_day) for r in rows]


async def load_schedule(db: AsyncSession, caseworker_id: int, office_id: int | None, today: date) -> Schedule:
    """What the caseworker published, or the defaults until they publish their own."""
    own = await db.get(CaseworkerScheduleRow, caseworker_id)
    absences = tuple(await absences_of(db, caseworker_id, office_id, today))
    if own is None:
        return replace(DEFAULT_SCHEDULE, absences=absences)
    rows = await db.scalars(select(AvailabilityHoursRow).where(AvailabilityHoursRow.caseworker_id == caseworker_id))
    hours = tuple(sorted(Hours(r.weekday, time.fromisoformat(r.starts), time.fromisoformat(r.ends)) for r in rows))
    return Schedule(hours, own.slot_minutes, own.buffer_minutes, absences)


async def save_schedule(db: AsyncSession, caseworker_id: int, schedule: Schedule) -> None:
    """Replace the weekly hours, slot length and buffer (absences stay)."""
    own = await db.get(CaseworkerScheduleRow, caseworker_id)
    if own is None:
        db.add(CaseworkerScheduleRow(caseworker_id=caseworker_id, slot_minutes=0, buffer_minutes=0))
        await db.flush()
        own = await db.get(CaseworkerScheduleRow, caseworker_id)
        assert own is not None
    own.slot_minutes = schedule.slot_minutes
    own.buffer_minutes = schedule.buffer_minutes
    await db.execute(delete(AvailabilityHoursRow).where(AvailabilityHoursRow.caseworker_id == caseworker_id))
    for hours in schedule.hours:
        db.add(
            AvailabilityHoursRow(
                caseworker_id=caseworker_id,
                weekday=hours.weekday,
                starts=hours.start.strftime("%H:%M"),
                ends=hours.end.strftime("%H:%M"),
            )
        )
    await db.flush()


async def add_absence(
    db: AsyncSession, absence: Absence, *, caseworker_id: int | None = None, office_id: int | None = None
) -> None:
    """A caseworker's absence, or (without caseworker) a holiday of the whole office."""
    db.add(AbsenceRow(caseworker_id=caseworker_id, office_id=office_id, first_day=absence.first, last_day=absence.last))
    await db.flush()


async def office_info(db: AsyncSession, office_id: int | None) -> OfficeInfo:
    """The office of a session; without one, the first office (a fresh install has one or none)."""
    stmt = select(Office).order_by(Office.id).limit(1)
    if office_id is not None:
        stmt = select(Office).where(Office.id == office_id)
    office = await db.scalar(stmt)
    if office is None:
        return OfficeInfo(None, "Jobcenter", "", True)
    return OfficeInfo(office.id, office.name, office.address, office.allow_caseworker_choice)


async def caseworkers_of(db: AsyncSession, office_id: int | None) -> list[Caseworker]:
    """Caseworkers of one office (or, for sessions without an office, those without one)."""
    same_office = User.office_id.is_(None) if office_id is None else User.office_id == office_id
    rows = await db.scalars(select(User).where(User.role == "caseworker", same_office).order_by(User.id))
    return [Caseworker(u.id, u.display_name, u.office_id) for u in rows]


@dataclass(frozen=True)
class OwnAbsence:
    id: int
    first: date
    last: date


def _own(caseworker_id: int, absence_id: int) -> Any:
    return (AbsenceRow.id == absence_id) & (AbsenceRow.caseworker_id == caseworker_id)


async def own_absences(db: AsyncSession, caseworker_id: int, since: date) -> list[OwnAbsence]:
    """The caseworker's own absences (not the office's holidays) ending on or after ``since``."""
    rows = await db.scalars(
        select(AbsenceRow)
        .where(AbsenceRow.caseworker_id == caseworker_id, AbsenceRow.last_day >= since)
        .order_by(AbsenceRow.first_day)
    )
    return [OwnAbsence(r.id, r.first_day, r.last_day) for r in rows]


async def update_absence(db: AsyncSession, caseworker_id: int, absence_id: int, absence: Absence) -> bool:
    result = await db.execute(
        update(AbsenceRow).where(_own(caseworker_id, absence_id)).values(first_day=absence.first, last_day=absence.last)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_absence(db: AsyncSession, caseworker_id: int, absence_id: int) -> bool:
    result = await db.execute(delete(AbsenceRow).where(_own(caseworker_id, absence_id)))
    return bool(result.rowcount)  # type: ignore[attr-defined]
