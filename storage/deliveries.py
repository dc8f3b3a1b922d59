"""That an invitation went out, by which channel, and how: never the address or number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InvitationDeliveryRow

__all__ = ["Delivery", "record", "of_session"]


@dataclass(frozen=True)
class Delivery:
    channel: str
    state: str
    at: datetime


async def record(db: AsyncSession, session_id: str, channel: str, state: str, at: datetime) -> None:
    db.add(InvitationDeliveryRow(session_id=session_id, channel=channel, state=state, at=at))
    await db.flush()


async def of_session(db: AsyncSession, session_id: str) -> list[Delivery]:
    rows = await db.scalars(
        select(InvitationDeliveryRow)
        .where(InvitationDeliveryRow.session_id == session_id)
        .order_by(InvitationDeliveryRow.id)
    )
    return [Delivery(r.channel, r.state, r.at) for r in rows]
