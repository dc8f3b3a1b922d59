"""Offices as administrators keep them: details, holidays, and who may manage which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.errors import InvalidOffice
from booking.offices import OfficeDetails, OpeningHours, hours_from_json
from storage.models import AbsenceRow, Office
from storage.rows import by_key, from_row, get_as, narrowed

__all__ = [
    "OfficeView",
    "Holiday",
    "list_offices",
    "get_office",
    "create_office",
    "update_office",
    "holidays_of",
    "add_holiday",
    "remove_holiday",
]


@dataclass(frozen=True)
class OfficeView:
    id: int
    name: str
    address: str
    phone: str
    hours: OpeningHours
    allow_caseworker_choice: bool


@dataclass(frozen=True)
class Holiday:
    id: int
    first: date
    last: date


def _view(row: Office) -> OfficeView:
    return from_row(OfficeView, row, hours=hours_from_json(row.opening_hours))


async def list_offices(db: AsyncSession, only: int | None = None) -> list[OfficeView]:
    """Every office, or only ``only`` (an administrator of one office sees that one)."""
    rows = await db.scalars(narrowed(select(Office).order_by(Office.name), Office.id, only))
    return [_view(r) for r in rows]


async def get_office(db: AsyncSession, office_id: int) -> OfficeView | None:
    return await get_as(db, Office, office_id, _view)


async def _name_taken(db: AsyncSession, name: str, other_than: int | None) -> bool:
    stmt = select(Office.id).where(Office.name == name)
    if other_than is not None:
        stmt = stmt.where(Office.id != other_than)
    return await db.scalar(stmt) is not None


async def create_office(db: AsyncSession, details: OfficeDetails) -> int:
    if await _name_taken(db, details.name, None):
        raise InvalidOffice("name_taken")
    row = Office(
        name=details.name,
        address=details.address,
        phone=details.phone,
        opening_hours=details.hours_json(),
        allow_caseworker_choice=details.allow_caseworker_choice,
    )
    db.add(row)
    await db.flush()
    return row.id


async def update_office(db: AsyncSession, office_id: int, details: OfficeDetails) -> None:
    row = await by_key(db, Office, office_id, InvalidOffice("unknown"))
    if await _name_taken(db, details.name, office_id):
        raise InvalidOffice("name_taken")
    row.name = details.name
    row.address = details.address
    row.phone = details.phone
    row.opening_hours = details.hours_json()
    row.allow_caseworker_choice = details.allow_caseworker_choice
    await db.flush()


async def holidays_of(db: AsyncSession, office_id: int, since: date) -> list[Holiday]:
    rows = await db.scalars(
        select(AbsenceRow)
        .where(AbsenceRow.office_id == office_id, AbsenceRow.caseworker_id.is_(None), AbsenceRow.last_day >= since)
        .order_by(AbsenceRow.first_day)
    )
    return [Holiday(r.id, r.first_day, r.last_day) for r in rows]


async def add_holiday(db: AsyncSession, office_id: int, first: date, last: date) -> None:
    db.add(AbsenceRow(caseworker_id=None, office_id=office_id, first_day=first, last_day=last))
    await db.flush()


async def remove_holiday(db: AsyncSession, office_id: int, holiday_id: int) -> bool:
    result = await db.execute(
        delete(AbsenceRow).where(
            AbsenceRow.id == holiday_id, AbsenceRow.office_id == office_id, AbsenceRow.caseworker_id.is_(None)
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
