"""Two real server processes over a private Redis that restarts empty (no RDB, no AOF).

Redis loses every key and the nodes keep every socket: within a heartbeat (a third of
``PRESENCE_TTL_SECONDS``) the nodes write the waiting room and presence back, with the
original arrival and join times, and the fan-out subscribes again. Someone admitted
while their waiting page is still open is not written back.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from signaling.fanout import redis_options
from tests.conftest import create_session, need
from tests.nodes import Client, RedisServer
from tests.test_multinode import SDP, Cluster, _call, _caseworker, _next_update_with, _waiting_recipient
from web.settings import Settings

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

TTL = 3.0  # a beat every second
WITHIN = 10.0  # bound for the re-sync; generous for a loaded machine, not a timing claim


class Restartable:
    def __init__(self, server: RedisServer, cluster: Cluster, prefix: str) -> None:
        self.server = server
        self.cluster = cluster
        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(server.url, **redis_options())

    async def restart(self) -> None:
        await self.server.kill()
        await self.server.start()
        assert await self.redis.ping()

    async def queue(self, session_id: str) -> list[tuple[str, float]]:
        ranked: list[Any] = await self.redis.zrange(f"{self.prefix}:wait:{session_id}", 0, -1, withscores=True)
        return [(pid.decode(), score) for pid, score in ranked]

    async def call_set(self, session_id: str) -> set[str]:
        return {s.decode() for s in await self.redis.smembers(f"{self.prefix}:call:{session_id}")}

    async def subscribers(self) -> int:
        [(_, count)] = await self.redis.pubsub_numsub(f"{self.prefix}:socketio")
        return int(count)


@pytest.fixture
async def restartable(settings: Settings, tmp_path: Path) -> AsyncIterator[Restartable]:
    need(shutil.which("redis-server") is not None, "redis-server")
    server = RedisServer(str(tmp_path))
    await server.start()
    settings = replace(settings, presence_ttl_seconds=TTL, rejoin_grace_seconds=5.0)
    prefix = f"t{secrets.token_hex(6)}"
    cluster = Cluster(settings, prefix, server.url)
    made = Restartable(server, cluster, prefix)
    try:
        await asyncio.gather(cluster.a.start(), cluster.b.start())
        yield made
    finally:
        for client in cluster.clients:
            await client.close()
        for browser in cluster.browsers:
            await browser.close()
        await cluster.a.stop()
        await cluster.b.stop()
        await made.redis.aclose()
        await server.kill()


async def _until(r: Restartable, what: str, check: Callable[[], Awaitable[bool]]) -> None:
    """Check again after each write under the prefix (keyspace notifications) until ``check`` holds.

    The nodes' heartbeat writes every beat, so a state that is reached is seen at the next
    write at the latest.
    """
    async with r.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.psubscribe(f"__keyspace@0__:{r.prefix}:*")
        try:
            async with asyncio.timeout(WITHIN):
                if await check():
                    return
                async for _write in pubsub.listen():
                    if await check():
                        return
        except TimeoutError:
            raise AssertionError(f"not within {WITHIN} s: {what}") from None


async def test_redis_restart_is_resynced(restartable: Restartable) -> None:
    r, cluster = restartable, restartable.cluster
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, a)
    call_session, caseworker, recipient, _ = await _call(cluster, cw, csrf, dashboard, a, b)
    queue_session, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
    waiting: list[Client] = []
    for i, node in enumerate((a, b, b)):
        _, client, _ = await _waiting_recipient(cluster, join_path, node, queue_session if i else None)
        waiting.append(client)
        before = await _next_update_with(dashboard, queue_session, i + 1)
    order = [e["participant"] for e in before]
    queue = await r.queue(queue_session)
    assert [pid for pid, _ in queue] == order
    sids = {caseworker.sio.get_sid(), recipient.sio.get_sid()}
    assert await r.call_set(call_session) == sids
    hashes = {sid: await r.redis.hgetall(f"{r.prefix}:peer:{sid}") for sid in sids}

    await r.restart()

    async def resynced() -> bool:
        return (
            await r.queue(queue_session) == queue
            and await r.call_set(call_session) == sids
            and await r.subscribers() == 2
        )

    await _until(r, "waiting room, presence and fan-out back", resynced)
    # The same fields, the original join times included.
    assert {sid: await r.redis.hgetall(f"{r.prefix}:peer:{sid}") for sid in sids} == hashes
    fresh = cluster.client(cw, {"role": "dashboard"})
    await fresh.connect(b.url)
    snapshot = await fresh.next("lobby.snapshot")
    assert [e["participant"] for e in snapshot["sessions"][queue_session]] == order

    # Cross-node fan-out works again: A's caseworker reaches B's recipient, and back.
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP
    assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
    assert (await caseworker.next("answer"))["sdp"] == SDP

    # Admission from A of a recipient waiting on B; the page keeps its socket open.
    admitted = order[1]
    reply = await dashboard.call("lobby.admit", {"session": queue_session, "participant": admitted})
    assert reply == {"ok": True, "role": "recipient"}
    assert await waiting[1].next("lobby.admitted") == {"session": queue_session}
    assert [e["participant"] for e in await _next_update_with(dashboard, queue_session, 2)] == [order[0], order[2]]
    # B's next beat after the admission (it refreshes the heartbeat of the other one waiting
    # there) must leave the admitted one out, and B stops counting that page as waiting.
    heartbeat = f"{r.prefix}:wait:{queue_session}:hb:{order[2]}"
    before_ms = await r.redis.pttl(heartbeat)

    async def b_has_beaten() -> bool:
        return bool(await r.redis.pttl(heartbeat) > before_ms)

    await _until(r, "a heartbeat of node B", b_has_beaten)
    assert await r.queue(queue_session) == [queue[0], queue[2]]
    assert not waiting[1].dropped.is_set()

    # Another restart. B writes back its waiting entries in one transaction: the admitted
    # one would come back together with order[2], which only B writes.
    await r.restart()
    remaining = [queue[0], queue[2]]
    await _until(
        r, "the waiting room back without the admitted one", lambda: _equals(r.queue(queue_session), remaining)
    )
    await _until(r, "the fan-out back", lambda: _equals(r.subscribers(), 2))
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


async def test_a_grace_outlives_a_redis_restart_and_the_node_that_started_it(restartable: Restartable) -> None:
    """Node A drains, its recipient never returns, Redis restarts inside the grace: node B
    still reports ``peer.gone``, at the original deadline (issue 27)."""
    r, cluster = restartable, restartable.cluster
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    _, caseworker, _, participant = await _call(cluster, cw, csrf, dashboard, b, a)
    a.terminate()
    assert await a.wait_exit(15) == 0
    assert (await caseworker.next("peer.left"))["participant"] == participant
    left_at = time.monotonic()
    grace = float(a.env["REJOIN_GRACE_SECONDS"])
    assert await r.redis.zcard(f"{r.prefix}:gone") == 1
    # Two beats of B after the grace was scheduled: B has seen it (it reads the pending
    # graces first in a beat, then refreshes its caseworker's presence).
    hash_key = f"{r.prefix}:peer:{caseworker.sio.get_sid()}"
    for _ in range(2):
        before_ms = await r.redis.pttl(hash_key)

        async def b_has_beaten(before: int = before_ms) -> bool:
            return bool(await r.redis.pttl(hash_key) > before)

        await _until(r, "a heartbeat of node B", b_has_beaten)
    await r.restart()
    assert await r.redis.zcard(f"{r.prefix}:gone") == 0  # Redis lost it
    gone = await caseworker.next("peer.gone", timeout=grace + WITHIN)
    assert gone == {"participant": participant}
    assert time.monotonic() - left_at >= grace - 0.5  # the original deadline, not a new one, nor at once
    with pytest.raises(asyncio.TimeoutError):  # told once
        await caseworker.next("peer.gone", timeout=2)
