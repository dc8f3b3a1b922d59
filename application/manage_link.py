"""Sending a booking's manage link to the recipient by SMS or e-mail (issue 26).

The number or address stays at the edge: it binds it into ``deliver`` and this use case
never sees it, so nothing can store it. Only that a link went out (booking, channel,
time) is audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.appointment import Status
from booking.errors import BookingClosed
from storage import audit, bookings

__all__ = ["send_manage_link"]

Db = async_sessionmaker[AsyncSession]
Deliver = Callable[[], Awaitable[None]]


async def send_manage_link(db: Db, booking_id: str, channel: str, deliver: Deliver, moment: datetime) -> None:
    """Send the link of a booked appointment once; ``BookingClosed`` when it is no longer booked.

    ``deliver`` raises the delivery's own error (nothing is audited then)."""
    async with db() as tx:
        appointment = await bookings.get_booking(tx, booking_id)
    if appointment.status is not Status.BOOKED:
        raise BookingClosed(appointment.status)
    await deliver()
    async with db.begin() as tx:
        await audit.audit(tx, f"booking.manage_link_{channel}", moment, f"booking={booking_id}")
