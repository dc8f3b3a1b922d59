"""Redis presence against real Redis: the heartbeat's refresh writes lost entries again."""

from __future__ import annotations

import pytest

from signaling.peers import Peer
from signaling.presence import RedisPresence

pytestmark = pytest.mark.redis


def _peer(sid: str, participant: str, role: str = "recipient", in_call: bool = True) -> Peer:
    return Peer(sid, role, session_id="s1", participant_id=participant, instance=f"i-{sid}", in_call=in_call)


async def test_refresh_writes_back_what_a_redis_restart_lost(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    presence = RedisPresence(client, prefix, ttl_seconds=30)
    caseworker, recipient = _peer("a", "cw", role="caseworker"), _peer("b", "rc")
    newer = _peer("c", "rc")  # the recipient's second tab, joined later
    newer.consented = False
    for peer in (caseworker, recipient, newer):
        await presence.join(peer)
    before = {sid: await client.hgetall(f"{prefix}:peer:{sid}") for sid in "abc"}
    await client.delete(*[k async for k in client.scan_iter(f"{prefix}:*")])
    assert await presence.call_peers("s1", exclude=None) == []

    waiting = _peer("d", "other", in_call=False)  # a waiting socket has no presence
    await presence.refresh([caseworker, recipient, newer, waiting])
    await presence.refresh([caseworker, recipient, newer, waiting])  # idempotent
    assert {s.decode() for s in await client.smembers(f"{prefix}:call:s1")} == {"a", "b", "c"}
    # The same fields as at join, the original join time and the current consent included.
    assert {sid: await client.hgetall(f"{prefix}:peer:{sid}") for sid in "abc"} == before
    assert before["c"][b"consented"] == b"0"
    newest = {"participant": "rc", "role": "recipient", "instance": "i-c"}
    assert await presence.call_peers("s1", exclude="cw") == [newest]
    assert 0 < await client.pttl(f"{prefix}:peer:a") <= 30_000
    assert 0 < await client.pttl(f"{prefix}:call:s1") <= 30_000


async def test_refresh_does_not_bring_back_who_left(redis) -> None:  # type: ignore[no-untyped-def]
    client, prefix = redis
    presence = RedisPresence(client, prefix, ttl_seconds=30)
    staying, leaving = _peer("a", "cw", role="caseworker"), _peer("b", "rc")
    await presence.join(staying)
    await presence.join(leaving)
    await presence.leave(leaving)
    await presence.refresh([staying])  # the node's index no longer holds the one that left
    assert await presence.in_call("s1", "rc") is False
    assert await client.exists(f"{prefix}:peer:b") == 0
