"""The pre-call device and connection check: the verdict is kept (counted per device
class, group and month) and, for an invitation, written into the participant's attempt log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.joining import Cookie, cookie_participant
from feedback.months import month_of
from rooms.attempts import EventKind
from rooms.check import DeviceClass, Verdict
from storage import attempts, checks, sessions

__all__ = ["record_verdict"]


async def record_verdict(
    db: async_sessionmaker[AsyncSession],
    session_id: str | None,
    cookie: Cookie | None,
    device: DeviceClass,
    verdict: Verdict,
    moment: datetime,
) -> bool:
    """Keep the verdict; True when it belonged to a session (then a fallback is offered)."""
    group = None
    async with db.begin() as tx:
        if session_id is not None:
            group = (await sessions.get_session(tx, session_id)).group.value
            participant = await cookie_participant(tx, session_id, cookie)
            if participant is not None:
                await attempts.record(
                    tx, session_id, participant.id, participant.role, EventKind.CHECK, moment, str(verdict)
                )
        await checks.record_verdict(tx, device, verdict, group, month_of(moment))
    return group is not None
