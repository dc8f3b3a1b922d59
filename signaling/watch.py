"""The task that notices, on every node, what a dead node can no longer say.

A node killed with ``kill -9`` never runs its disconnect handlers: its call sockets
just stop being refreshed in Redis, and the grace timers it would have run die with it.
Every node runs a ``PresenceWatch``: every ``interval`` seconds it takes the call
sockets whose presence lapsed and the grace periods that ended (``Presence.lapsed`` and
``Presence.gone_due``; each entry goes to exactly one node) and hands them to the
server, which tells the call ``peer.left`` and, after the grace, ``peer.gone``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from application.periodic import PeriodicTask
from signaling.presence import Presence

__all__ = ["PresenceWatch"]

logger = logging.getLogger(__name__)

Tell = Callable[[str, str], Awaitable[None]]


class PresenceWatch:
    """Owns the watch task: ``start()``, then ``close()`` cancels and awaits it."""

    def __init__(self, presence: Presence, lapsed: Tell, grace_ended: Tell, interval: float) -> None:
        self._presence = presence
        self._lapsed = lapsed
        self._grace_ended = grace_ended
        # A failed round (Redis away for a moment) is logged; what is due stays in Redis for the next.
        self._task = PeriodicTask("presence watch", self.sweep, interval, log=logger)

    def start(self) -> None:
        self._task.start()

    async def sweep(self) -> None:
        """One round: lapsed sockets first, so a grace they start is seen on the next round."""
        for session_id, participant_id in await self._presence.lapsed():
            await self._lapsed(session_id, participant_id)
        for session_id, participant_id in await self._presence.gone_due():
            await self._grace_ended(session_id, participant_id)

    async def close(self) -> None:
        await self._task.close()
