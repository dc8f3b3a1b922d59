"""Who is waiting for which session, in arrival order.

``WaitingRoom`` is the port; ``MemoryWaitingRoom`` keeps it in this process (the
embedded default). A Redis-backed implementation shares it across nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["WaitingEntry", "WaitingRoom", "MemoryWaitingRoom"]


@dataclass(frozen=True)
class WaitingEntry:
    participant_id: str
    arrived_at: datetime


class WaitingRoom(Protocol):
    async def arrive(self, session_id: str, participant_id: str, at: datetime) -> datetime:
        """Add a participant; arriving again keeps the first arrival time, which is returned."""

    async def leave(self, session_id: str, participant_id: str) -> bool:
        """Remove a participant; return whether they were waiting."""

    async def entries(self, session_id: str) -> list[WaitingEntry]:
        """Everybody waiting for the session, first arrival first."""

    async def touch(self, waiting: list[tuple[str, str, datetime]]) -> list[tuple[str, str]]:
        """(session, participant, arrival) of the sockets still waiting on this node.

        Re-adds entries that were lost (a Redis restart) with their first arrival time, but
        not those that left meanwhile (admitted, declined, withdrawn): those are returned,
        so the node stops counting their sockets as waiting.
        """

    async def away(self, session_id: str, participant_id: str) -> None:
        """The participant's socket dropped; it may arrive again (on any node) within the grace period."""

    async def leave_if_away(self, session_id: str, participant_id: str) -> bool:
        """After the grace period: remove the participant unless it arrived again; return whether removed."""

    async def close(self) -> None: ...


class MemoryWaitingRoom:
    """In-process waiting room for a single node."""

    def __init__(self) -> None:
        self._sessions: dict[str, dict[str, datetime]] = {}

    async def arrive(self, session_id: str, participant_id: str, at: datetime) -> datetime:
        return self._sessions.setdefault(session_id, {}).setdefault(participant_id, at)

    async def leave(self, session_id: str, participant_id: str) -> bool:
        waiting = self._sessions.get(session_id)
        if not waiting or participant_id not in waiting:
            return False
        del waiting[participant_id]
        if not waiting:
            del self._sessions[session_id]
        return True

    async def entries(self, session_id: str) -> list[WaitingEntry]:
        waiting = self._sessions.get(session_id, {})
        ordered = sorted(waiting.items(), key=lambda item: (item[1], item[0]))
        return [WaitingEntry(pid, at) for pid, at in ordered]

    async def touch(self, waiting: list[tuple[str, str, datetime]]) -> list[tuple[str, str]]:
        # Nothing expires or gets lost in memory: whoever is missing has left.
        return [(s, p) for s, p, _ in waiting if p not in self._sessions.get(s, {})]

    async def away(self, session_id: str, participant_id: str) -> None:
        pass  # a reconnect to this (the only) node cancels the grace timer instead

    async def leave_if_away(self, session_id: str, participant_id: str) -> bool:
        return await self.leave(session_id, participant_id)

    async def close(self) -> None:
        self._sessions.clear()
