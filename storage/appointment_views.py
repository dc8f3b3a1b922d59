"""What a caseworker or office administrator sees of one appointment, and who may."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.appointment import Status
from storage.models import BookingRow
from storage.rows import narrowed

__all__ = ["AppointmentLine", "office_appointments"]


@dataclass(frozen=True)
class AppointmentLine:
    id: str
    caseworker_id: int
    channel: str
    starts_at: datetime


async def office_appointments(
    db: AsyncSession, office_id: int | None, since: datetime, until: datetime
) -> list[AppointmentLine]:
    """Booked appointments of one office (every office for None) in [since, until)."""
    stmt = (
        select(BookingRow)
        .where(BookingRow.status == Status.BOOKED.value, BookingRow.starts_at >= since, BookingRow.starts_at < until)
        .order_by(BookingRow.starts_at)
        .limit(200)
    )
    stmt = narrowed(stmt, BookingRow.office_id, office_id)
    return [AppointmentLine(r.id, r.caseworker_id, r.channel, r.starts_at) for r in await db.scalars(stmt)]
