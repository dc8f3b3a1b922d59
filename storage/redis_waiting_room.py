"""The waiting room in Redis, shared by every node and kept when a node dies.

Keys (``P`` is ``Settings.redis_prefix``):

- ``P:wait:<session>`` — sorted set, member = participant id, score = arrival time in
  UTC microseconds (exact in a double until the year 2255). ``ZADD NX`` keeps the first
  arrival, so a reconnect through another node neither duplicates nor re-queues.
- ``P:wait:<session>:hb:<participant>`` — heartbeat, ``here`` with a TTL refreshed by
  the node that holds the socket, or ``away`` after the socket dropped. When a node is
  killed its heartbeats lapse and ``entries`` drops those participants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from rooms.waiting_room import WaitingEntry

__all__ = ["RedisWaitingRoom"]

_HERE = b"here"


def _micros(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


class RedisWaitingRoom:
    """``WaitingRoom`` over Redis; the Redis client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float, grace_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        # "away" outlives the grace timer, so the timer's check finds it, not a gap.
        self._away_ms = max(1, int((grace_seconds + ttl_seconds) * 1000))

    def _queue(self, session_id: str) -> str:
        return f"{self._prefix}:wait:{session_id}"

    def _heartbeat(self, session_id: str, participant_id: str) -> str:
        return f"{self._prefix}:wait:{session_id}:hb:{participant_id}"

    async def arrive(self, session_id: str, participant_id: str, at: datetime) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._heartbeat(session_id, participant_id), _HERE, px=self._ttl_ms)
            pipe.zadd(self._queue(session_id), {participant_id: _micros(at)}, nx=True)
            await pipe.execute()

    async def leave(self, session_id: str, participant_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._queue(session_id), participant_id)
            pipe.delete(self._heartbeat(session_id, participant_id))
            removed, _ = await pipe.execute()
        return bool(removed)

    async def entries(self, session_id: str) -> list[WaitingEntry]:
        ranked: list[Any] = await self._redis.zrange(self._queue(session_id), 0, -1, withscores=True)
        if not ranked:
            return []
        beats = await self._redis.mget([self._heartbeat(session_id, pid.decode()) for pid, _ in ranked])
        alive, lapsed = [], []
        for (pid, score), beat in zip(ranked, beats, strict=True):
            if beat is None:
                lapsed.append(pid)
            else:
                alive.append(WaitingEntry(pid.decode(), datetime.fromtimestamp(score / 1_000_000, UTC)))
        if lapsed:
            # Entries of a crashed node (or of someone who never came back).
            await self._redis.zrem(self._queue(session_id), *lapsed)
        return alive

    async def touch(self, waiting: list[tuple[str, str]]) -> None:
        if not waiting:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id, participant_id in waiting:
                pipe.set(self._heartbeat(session_id, participant_id), _HERE, px=self._ttl_ms)
            await pipe.execute()

    async def away(self, session_id: str, participant_id: str) -> None:
        await self._redis.set(self._heartbeat(session_id, participant_id), b"away", px=self._away_ms)

    async def leave_if_away(self, session_id: str, participant_id: str) -> bool:
        if await self._redis.get(self._heartbeat(session_id, participant_id)) == _HERE:
            return False  # it arrived again, possibly through another node
        return await self.leave(session_id, participant_id)

    async def close(self) -> None:
        """Nothing to release: the entries must outlive this node."""
