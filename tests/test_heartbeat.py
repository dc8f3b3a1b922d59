"""The heartbeat against real Redis: what a beat writes back, and what it leaves out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from signaling.heartbeat import Heartbeat
from signaling.peers import Peer, PeerIndex
from signaling.presence import RedisPresence
from storage.redis_waiting_room import RedisWaitingRoom

pytestmark = pytest.mark.redis

T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


async def _lose_everything(client: aioredis.Redis, prefix: str) -> None:
    """What a restart of a Redis without persistence does to this prefix."""
    await client.delete(*[k async for k in client.scan_iter(f"{prefix}:*")])


async def test_a_beat_writes_back_what_redis_lost_but_not_who_was_admitted(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    index = PeerIndex()
    room = RedisWaitingRoom(client, prefix, ttl_seconds=30, grace_seconds=5)
    presence = RedisPresence(client, prefix, ttl_seconds=30)
    heartbeat = Heartbeat(index, presence, room, ttl_seconds=30)
    waiting = []
    for n in range(3):
        arrived = await room.arrive("s1", f"p{n}", T0)
        waiting.append(
            Peer(f"w{n}", "recipient", session_id="s1", participant_id=f"p{n}", waiting=True, arrived_at=arrived)
        )
        index.add(waiting[-1])
    in_call = Peer("c", "caseworker", session_id="s2", participant_id="cw", in_call=True)
    index.add(in_call)
    await presence.join(in_call)
    queue = await client.zrange(f"{prefix}:wait:s1", 0, -1, withscores=True)

    # Admitted on another node: the page has its socket open here, still flagged waiting.
    assert await room.leave("s1", "p1") is True
    await heartbeat.beat()
    assert [p.waiting for p in waiting] == [True, False, True]
    assert await client.zrange(f"{prefix}:wait:s1", 0, -1, withscores=True) == [queue[0], queue[2]]

    await _lose_everything(client, prefix)
    await heartbeat.beat()
    assert await client.zrange(f"{prefix}:wait:s1", 0, -1, withscores=True) == [queue[0], queue[2]]
    assert [e.participant_id for e in await room.entries("s1")] == ["p0", "p2"]
    assert await presence.call_peers("s2", exclude=None) == [in_call.wire()]


async def test_a_socket_that_disconnects_during_the_beat_is_not_written_back(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    index = PeerIndex()
    room = RedisWaitingRoom(client, prefix, ttl_seconds=30, grace_seconds=5)
    caller = Peer("c", "recipient", session_id="s2", participant_id="rc", in_call=True)
    waiter = Peer("w", "recipient", session_id="s1", participant_id="p1", waiting=True)
    waiter.arrived_at = await room.arrive("s1", "p1", T0)

    class DisconnectsDuringBeat(RedisPresence):
        async def refresh(self, peers):  # type: ignore[no-untyped-def]
            # The disconnect handlers run between the beat's snapshot and its writes.
            for peer in (caller, waiter):
                index.remove(peer.sid)
            await self.leave(caller)
            await room.away("s1", "p1")
            await super().refresh(peers)

    presence = DisconnectsDuringBeat(client, prefix, ttl_seconds=30)
    for peer in (caller, waiter):
        index.add(peer)
    await presence.join(caller)
    await Heartbeat(index, presence, room, ttl_seconds=30).beat()
    assert await presence.in_call("s2", "rc") is False
    assert await client.exists(f"{prefix}:peer:c") == 0
    # Still "away", so the grace timer removes the entry unless the recipient comes back.
    assert await client.get(f"{prefix}:wait:s1:hb:p1") == b"away"
