"""The waiting room in Redis, shared by every node and kept when a node dies.

Keys (``P`` is ``Settings.redis_prefix``):

- ``P:wait:<session>`` — sorted set, member = participant id, score = arrival time in
  UTC microseconds (exact in a double until the year 2255). ``ZADD NX`` keeps the first
  arrival, so a reconnect through another node neither duplicates nor re-queues.
- ``P:wait:<session>:hb:<participant>`` — heartbeat, ``here`` with a TTL refreshed by
  the node that holds the socket, ``away`` after the socket dropped, or ``left`` for one
  TTL after the entry was removed (admitted, declined, withdrawn). When a node is killed
  its heartbeats lapse and ``entries`` drops those participants.

Redis may restart empty. Each heartbeat therefore re-adds the entries of the sockets the
node still holds, with their first arrival time; ``left`` keeps it from re-adding someone
who was admitted before the node heard of it, and tells the node so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from rooms.waiting_room import WaitingEntry

__all__ = ["RedisWaitingRoom"]

_HERE = b"here"
_LEFT = b"left"

# KEYS: queue, heartbeat; ARGV: participant, arrival (micros), TTL (ms). Atomic, so an
# admission on another node cannot slip between the check and the re-add.
_TOUCH = """
if redis.call('GET', KEYS[2]) == 'left' then return 0 end
redis.call('SET', KEYS[2], 'here', 'PX', ARGV[3])
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
return 1
"""

# KEYS: heartbeat; ARGV: TTL (ms). A page that was admitted and then closed stays "left".
_AWAY = """
if redis.call('GET', KEYS[1]) == 'left' then return 0 end
redis.call('SET', KEYS[1], 'away', 'PX', ARGV[1])
return 1
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


# Integer arithmetic, not ``timestamp() * 1e6``: a re-added entry must get the very score
# it had, and a float product can be one microsecond short.
def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICRO


def _datetime(micros: float) -> datetime:
    return _EPOCH + int(micros) * _MICRO


class RedisWaitingRoom:
    """``WaitingRoom`` over Redis; the Redis client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float, grace_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        # "away" outlives the grace timer, so the timer's check finds it, not a gap.
        self._away_ms = max(1, int((grace_seconds + ttl_seconds) * 1000))
        self._touch = redis.register_script(_TOUCH)
        self._away = redis.register_script(_AWAY)

    def _queue(self, session_id: str) -> str:
        return f"{self._prefix}:wait:{session_id}"

    def _heartbeat(self, session_id: str, participant_id: str) -> str:
        return f"{self._prefix}:wait:{session_id}:hb:{participant_id}"

    async def arrive(self, session_id: str, participant_id: str, at: datetime) -> datetime:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._heartbeat(session_id, participant_id), _HERE, px=self._ttl_ms)
            pipe.zadd(self._queue(session_id), {participant_id: _micros(at)}, nx=True)
            pipe.zscore(self._queue(session_id), participant_id)
            _, _, first = await pipe.execute()
        return _datetime(first)

    async def leave(self, session_id: str, participant_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._queue(session_id), participant_id)
            pipe.set(self._heartbeat(session_id, participant_id), _LEFT, px=self._ttl_ms)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def entries(self, session_id: str) -> list[WaitingEntry]:
        ranked: list[Any] = await self._redis.zrange(self._queue(session_id), 0, -1, withscores=True)
        if not ranked:
            return []
        beats = await self._redis.mget([self._heartbeat(session_id, pid.decode()) for pid, _ in ranked])
        alive, lapsed = [], []
        for (pid, score), beat in zip(ranked, beats, strict=True):
            if beat is None or beat == _LEFT:
                lapsed.append(pid)
            else:
                alive.append(WaitingEntry(pid.decode(), _datetime(score)))
        if lapsed:
            # Entries of a crashed node (or of someone who never came back).
            await self._redis.zrem(self._queue(session_id), *lapsed)
        return alive

    async def touch(self, waiting: list[tuple[str, str, datetime]]) -> list[tuple[str, str]]:
        if not waiting:
            return []
        # One transaction: whoever reads a refreshed heartbeat sees the whole beat applied.
        async with self._redis.pipeline(transaction=True) as pipe:
            for session_id, participant_id, arrived_at in waiting:
                keys = [self._queue(session_id), self._heartbeat(session_id, participant_id)]
                await self._touch(keys=keys, args=[participant_id, _micros(arrived_at), self._ttl_ms], client=pipe)
            kept = await pipe.execute()
        return [(s, p) for (s, p, _), ok in zip(waiting, kept, strict=True) if not ok]

    async def away(self, session_id: str, participant_id: str) -> None:
        await self._away(keys=[self._heartbeat(session_id, participant_id)], args=[self._away_ms])

    async def leave_if_away(self, session_id: str, participant_id: str) -> bool:
        if await self._redis.get(self._heartbeat(session_id, participant_id)) == _HERE:
            return False  # it arrived again, possibly through another node
        return await self.leave(session_id, participant_id)

    async def close(self) -> None:
        """Nothing to release: the entries must outlive this node."""
