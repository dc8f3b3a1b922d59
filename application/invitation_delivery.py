"""Sending the invitation by e-mail or SMS: the edge sends, this records the delivery state.

The address or number is used for the one send and then forgotten; only the state (sent /
failed, channel, time) is stored with the session, and audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.session import CounselSession
from storage import audit, deliveries, sessions

__all__ = ["sendable_session", "record_delivery"]

Sessions = async_sessionmaker[AsyncSession]


async def sendable_session(db: Sessions, caseworker_id: int, session_id: str) -> CounselSession | None:
    """The caseworker's joinable session to send an invitation for; None when not theirs."""
    async with db() as tx:
        session = await sessions.get_session(tx, session_id)
    if session.caseworker_id != caseworker_id:
        return None
    session.ensure_joinable()
    return session


async def record_delivery(db: Sessions, session_id: str, channel: str, state: str, moment: datetime) -> None:
    async with db.begin() as tx:
        await deliveries.record(tx, session_id, channel, state, moment)
        await audit.audit(tx, f"invitation.{channel}_{state}", moment, f"session={session_id}")
