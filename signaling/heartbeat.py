"""The task that keeps this node's presence and waiting-room entries alive in Redis.

Everything a node writes to Redis has a TTL; this loop refreshes it every third of the
TTL for the sockets the node still holds. When the node dies, its entries lapse.

Redis restart: each beat writes this node's presence and waiting entries again (with the
original join and arrival times), and the pending grace deadlines every node keeps a copy
of (``RedisPresence.refresh``), so a Redis that came back empty is whole again within one
beat, a third of the TTL. Waiting entries removed meanwhile are not re-added.
"""

from __future__ import annotations

import logging
from datetime import datetime

from application.periodic import PeriodicTask
from rooms.waiting_room import WaitingRoom
from signaling.peers import Peer, PeerIndex
from signaling.presence import Presence

__all__ = ["Heartbeat"]

logger = logging.getLogger(__name__)


class Heartbeat:
    """Owns the refresh task: ``start()``, then ``close()`` cancels and awaits it."""

    def __init__(self, index: PeerIndex, presence: Presence, waiting: WaitingRoom, ttl_seconds: float) -> None:
        self._index = index
        self._presence = presence
        self._waiting = waiting
        # A failed beat (Redis away for a moment) is logged; the next comes before the TTL runs out.
        self._task = PeriodicTask("presence heartbeat", self.beat, ttl_seconds / 3, log=logger)

    def start(self) -> None:
        self._task.start()

    async def beat(self) -> None:
        peers = list(self._index.by_sid.values())
        waiting: list[tuple[str, str, datetime]] = [
            (p.session_id, p.participant_id, p.arrived_at)
            for p in peers
            if p.waiting and p.session_id and p.participant_id and p.arrived_at
        ]
        await self._presence.refresh(peers)
        left = set(await self._waiting.touch(waiting))
        await self._undo_for_gone(peers)
        for peer in peers:
            if peer.waiting and (peer.session_id, peer.participant_id) in left:
                # Admitted, declined or withdrawn, perhaps through another node, while the
                # page keeps its socket open: it waits no more and must not be re-added.
                peer.waiting = False

    async def _undo_for_gone(self, peers: list[Peer]) -> None:
        """Sockets that disconnected while the beat was written: their entries go again."""
        for peer in peers:
            if self._index.by_sid.get(peer.sid) is peer:
                continue
            await self._presence.release(peer)
            if peer.in_call:
                await self._presence.leave(peer)
            elif peer.waiting and peer.session_id and peer.participant_id:
                if not self._index.sockets_of(peer.participant_id):
                    await self._waiting.away(peer.session_id, peer.participant_id)

    async def close(self) -> None:
        await self._task.close()
