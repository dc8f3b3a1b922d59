"""The Redis waiting room against real Redis, each test under its own key prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.redis_waiting_room import RedisWaitingRoom

pytestmark = pytest.mark.redis

T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


async def test_arrival_order_is_kept_and_arriving_again_does_not_duplicate(redis) -> None:  # type: ignore[no-untyped-def]
    room = RedisWaitingRoom(*redis, ttl_seconds=30, grace_seconds=5)
    await room.arrive("s1", "p2", T0 + timedelta(seconds=1))
    await room.arrive("s1", "p1", T0)
    await room.arrive("s1", "p1", T0 + timedelta(seconds=9))  # a reconnect through another node
    entries = await room.entries("s1")
    assert [(e.participant_id, e.arrived_at) for e in entries] == [("p1", T0), ("p2", T0 + timedelta(seconds=1))]
    assert await room.leave("s1", "p1") is True
    assert await room.leave("s1", "p1") is False
    assert [e.participant_id for e in await room.entries("s1")] == ["p2"]


async def test_entries_of_a_dead_node_lapse_with_their_heartbeat(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    room = RedisWaitingRoom(client, prefix, ttl_seconds=30, grace_seconds=5)
    await room.arrive("s1", "p1", T0)
    await room.arrive("s1", "p2", T0)
    # What a TTL running out does, without waiting for it.
    await client.delete(f"{prefix}:wait:s1:hb:p1")
    assert [e.participant_id for e in await room.entries("s1")] == ["p2"]
    assert await client.zcard(f"{prefix}:wait:s1") == 1


async def test_away_participant_is_removed_unless_it_arrived_again(redis) -> None:  # type: ignore[no-untyped-def]
    room = RedisWaitingRoom(*redis, ttl_seconds=30, grace_seconds=5)
    await room.arrive("s1", "p1", T0)
    await room.arrive("s1", "p2", T0)
    await room.away("s1", "p1")
    await room.away("s1", "p2")
    await room.arrive("s1", "p2", T0 + timedelta(seconds=3))  # back, on some node
    assert await room.leave_if_away("s1", "p1") is True
    assert await room.leave_if_away("s1", "p2") is False
    assert [(e.participant_id, e.arrived_at) for e in await room.entries("s1")] == [("p2", T0)]


async def test_arrive_returns_the_first_arrival_kept(redis) -> None:  # type: ignore[no-untyped-def]
    room = RedisWaitingRoom(*redis, ttl_seconds=30, grace_seconds=5)
    assert await room.arrive("s1", "p1", T0) == T0
    assert await room.arrive("s1", "p1", T0 + timedelta(seconds=9)) == T0


async def test_touch_re_adds_what_a_redis_restart_lost_with_the_first_arrival(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    room = RedisWaitingRoom(client, prefix, ttl_seconds=30, grace_seconds=5)
    first = await room.arrive("s1", "p1", T0 + timedelta(microseconds=1))
    second = await room.arrive("s1", "p2", T0 + timedelta(seconds=2))
    scores = await client.zrange(f"{prefix}:wait:s1", 0, -1, withscores=True)
    # What a restart of a Redis without persistence does to this prefix.
    await client.delete(*[k async for k in client.scan_iter(f"{prefix}:*")])
    beat = [("s1", "p2", second), ("s1", "p1", first)]
    assert await room.touch(beat) == []
    assert await room.touch(beat) == []  # idempotent: no duplicates, scores unchanged
    assert await client.zrange(f"{prefix}:wait:s1", 0, -1, withscores=True) == scores
    assert [(e.participant_id, e.arrived_at) for e in await room.entries("s1")] == [("p1", first), ("p2", second)]
    assert 0 < await client.pttl(f"{prefix}:wait:s1:hb:p1") <= 30_000


async def test_touch_does_not_re_add_who_left_and_reports_it(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    room = RedisWaitingRoom(client, prefix, ttl_seconds=30, grace_seconds=5)
    first = await room.arrive("s1", "p1", T0)
    second = await room.arrive("s1", "p2", T0)
    assert await room.leave("s1", "p1") is True  # admitted through another node
    await room.away("s1", "p1")  # the admitted page closed before this node's beat
    assert await room.touch([("s1", "p1", first), ("s1", "p2", second)]) == [("s1", "p1")]
    assert [e.participant_id for e in await room.entries("s1")] == ["p2"]
    assert await client.zscore(f"{prefix}:wait:s1", "p1") is None
    # Arriving again (consent given again after a withdrawal) queues as usual.
    assert await room.arrive("s1", "p1", T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=5)
    assert await room.touch([("s1", "p1", T0 + timedelta(seconds=5))]) == []
    assert [e.participant_id for e in await room.entries("s1")] == ["p2", "p1"]
