"""The task that keeps this node's presence and waiting-room entries alive in Redis.

Everything a node writes to Redis has a TTL; this loop refreshes it every third of the
TTL for the sockets the node still holds. When the node dies, its entries lapse.
"""

from __future__ import annotations

import asyncio
import logging

from rooms.waiting_room import WaitingRoom
from signaling.peers import PeerIndex
from signaling.presence import Presence

__all__ = ["Heartbeat"]

logger = logging.getLogger(__name__)


class Heartbeat:
    """Owns the refresh task: ``start()``, then ``close()`` cancels and awaits it."""

    def __init__(self, index: PeerIndex, presence: Presence, waiting: WaitingRoom, ttl_seconds: float) -> None:
        self._index = index
        self._presence = presence
        self._waiting = waiting
        self._interval = ttl_seconds / 3
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="presence-heartbeat")

    async def beat(self) -> None:
        peers = list(self._index.by_sid.values())
        await self._presence.refresh(peers)
        await self._waiting.touch(
            [(p.session_id, p.participant_id) for p in peers if p.waiting and p.session_id and p.participant_id]
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis away for a moment: the next beat comes before the TTL runs out.
                logger.exception("presence heartbeat failed")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
