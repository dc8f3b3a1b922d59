"""Two real server processes over one Redis: cross-node calls, kill -9, SIGTERM.

Sizes: 50 active calls and 20 waiting recipients during the kill, as the issue asks
(``VB_FAULT_CALLS`` and ``VB_FAULT_WAITING`` change them; the run takes about 12 s).
Every client of the killed node reconnects to the other node's URL, as a load balancer
would route it, and must resume within 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from yarl import URL

from storage.models import AuditRow
from tests.conftest import REDIS_URL, _port_open, create_session, csrf_from, join_and_consent, login, need
from tests.nodes import Browser, Client, Node, instance
from tests.recipients import extra_recipient
from web.settings import Settings

pytestmark = [pytest.mark.redis, pytest.mark.timeout(240)]

CALLS = int(os.environ.get("VB_FAULT_CALLS", "50"))
WAITING = int(os.environ.get("VB_FAULT_WAITING", "20"))
RESUME_WITHIN = 5.0
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class Cluster:
    def __init__(self, settings: Settings, prefix: str, redis_url: str = REDIS_URL) -> None:
        self.a = Node("a", settings, redis_url, prefix)
        self.b = Node("b", settings, redis_url, prefix)
        self.browsers: list[Browser] = []
        self.clients: list[Client] = []

    def browser(self, node: Node) -> Browser:
        made = Browser(node.url)
        self.browsers.append(made)
        return made

    def client(self, browser: Browser, auth: dict[str, Any]) -> Client:
        made = Client(browser.cookie(), auth)
        self.clients.append(made)
        return made


@pytest.fixture
async def cluster(settings: Settings, tmp_path: Any) -> AsyncIterator[Cluster]:
    need(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    prefix = f"t{secrets.token_hex(6)}"
    settings = replace(settings, presence_ttl_seconds=6.0, rejoin_grace_seconds=5.0)
    made = Cluster(settings, prefix)
    try:
        await asyncio.gather(made.a.start(), made.b.start())
        yield made
    finally:
        for client in made.clients:
            await client.close()
        for browser in made.browsers:
            await browser.close()
        await made.a.stop()
        await made.b.stop()
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _caseworker(cluster: Cluster, node: Node) -> tuple[Browser, str, Client]:
    cw = cluster.browser(node)
    csrf = await login(cw)  # type: ignore[arg-type]
    dashboard = cluster.client(cw, {"role": "dashboard"})
    await dashboard.connect(node.url)
    await dashboard.next("lobby.snapshot")
    return cw, csrf, dashboard


async def _waiting_recipient(
    cluster: Cluster, join_path: str, node: Node, extra_in: str | None = None
) -> tuple[Browser, Client, str]:
    """A recipient in the waiting room; ``extra_in``: a further one of that session (the
    link makes only one per session, so it is minted in storage: tests/recipients.py)."""
    rc = cluster.browser(node)
    if extra_in is None:
        session_id = await join_and_consent(rc, join_path)  # type: ignore[arg-type]
    else:
        session_id = extra_in
        await extra_recipient(rc, node.url, node.env["DATABASE_URL"], node.env["DATABASE_SCHEMA"], session_id)
    waiting = cluster.client(rc, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"})
    await waiting.connect(node.url)
    await waiting.next("lobby.position")
    return rc, waiting, session_id


async def _next_update_with(dashboard: Client, session_id: str, count: int) -> list[dict[str, Any]]:
    while True:
        update = await dashboard.next("lobby.update")
        if update["session"] == session_id and len(update["waiting"]) == count:
            return list(update["waiting"])


async def _call(
    cluster: Cluster, cw: Browser, csrf: str, dashboard: Client, cw_node: Node, rc_node: Node
) -> tuple[str, Client, Client, str]:
    """A session with an admitted recipient; caseworker's sockets on ``cw_node``, recipient's on ``rc_node``."""
    session_id, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
    rc, waiting, _ = await _waiting_recipient(cluster, join_path, rc_node)
    [entry] = await _next_update_with(dashboard, session_id, 1)
    participant = entry["participant"]
    assert await dashboard.call("lobby.admit", {"session": session_id, "participant": participant}) == {
        "ok": True,
        "role": "recipient",
    }
    assert await waiting.next("lobby.admitted") == {"session": session_id}
    await waiting.close()
    caseworker = cluster.client(cw, {"role": "caseworker", "session": session_id, "instance": instance()})
    await caseworker.connect(cw_node.url)
    await caseworker.next("call.peers")
    recipient = cluster.client(rc, {"role": "recipient", "session": session_id, "instance": instance()})
    await recipient.connect(rc_node.url)
    peers = await recipient.next("call.peers")
    assert [p["role"] for p in peers["peers"]] == ["caseworker"]
    assert (await caseworker.next("peer.joined"))["participant"] == participant
    return session_id, caseworker, recipient, participant


async def test_call_across_nodes(cluster: Cluster) -> None:
    """Dashboard and call page on A, recipient on B: admission, relay and withdrawal cross nodes."""
    cw, csrf, dashboard = await _caseworker(cluster, cluster.a)
    session_id, caseworker, recipient, participant = await _call(cluster, cw, csrf, dashboard, cluster.a, cluster.b)
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    offer = await recipient.next("offer")
    assert offer["sdp"] == SDP and offer["from"] != participant
    assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
    assert (await caseworker.next("answer"))["from"] == participant
    # Addressed to one participant (as each pair of a call of three is): crosses nodes too.
    assert await caseworker.call("offer", {"sdp": SDP, "to": participant}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP
    cand = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    assert await recipient.call("candidate", cand) == {"ok": True}
    assert (await caseworker.next("candidate"))["candidate"] == cand["candidate"]
    # The recipient's page drops and comes back on A: presence in Redis drives peer.left/joined.
    await recipient.reconnect(cluster.a.url)
    assert (await caseworker.next("peer.left"))["participant"] == participant
    assert (await recipient.next("call.peers"))["peers"][0]["role"] == "caseworker"
    assert (await caseworker.next("peer.joined"))["participant"] == participant
    # Withdrawal on one node reaches the caseworker's page on the other.
    await recipient.reconnect(cluster.b.url)
    await recipient.next("call.peers")
    assert await recipient.call("consent.withdraw", {}) == {"ok": True}
    assert await caseworker.next("consent.withdrawn") == {"participant": participant}


async def test_kill_minus_nine_loses_no_call_and_no_waiting_entry(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    calls = []
    for i in range(CALLS):
        # Caseworker pages all on A; recipients alternate, so some calls span both nodes.
        calls.append(await _call(cluster, cw, csrf, dashboard, a, a if i % 2 else b))
    queue_session, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
    waiting = []
    for i in range(WAITING):
        node = a if i % 2 == 0 else b
        _, client, _ = await _waiting_recipient(cluster, join_path, node, queue_session if i else None)
        waiting.append(client)
        before = await _next_update_with(dashboard, queue_session, i + 1)
    order = [e["participant"] for e in before]

    on_a = [c for _, cw_sock, rc_sock, _ in calls for c in (cw_sock, rc_sock) if c.sio.connection_url.startswith(a.url)]
    on_a += [c for i, c in enumerate(waiting) if i % 2 == 0]
    assert len(on_a) == CALLS + CALLS // 2 + (WAITING + 1) // 2
    killed_at = time.monotonic()
    a.kill()
    await a.wait_exit(10)
    await asyncio.wait_for(asyncio.gather(*(c.dropped.wait() for c in on_a)), 10)
    await asyncio.gather(*(c.reconnect(b.url) for c in on_a))

    async def resumed(c: Client) -> None:
        if c.auth.get("page") == "wait":
            await c.next("lobby.position", timeout=RESUME_WITHIN)
        else:
            msg = await c.next("call.peers", timeout=RESUME_WITHIN)
            assert len(msg["peers"]) == 1, msg

    await asyncio.gather(*(resumed(c) for c in on_a))
    # From the kill, including noticing it (the kernel resets the sockets of a killed process).
    assert time.monotonic() - killed_at < RESUME_WITHIN

    # Every call relays again through B, in both directions.
    for _, caseworker, recipient, participant in calls:
        assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
        assert (await recipient.next("offer"))["sdp"] == SDP
        assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
        assert (await caseworker.next("answer"))["from"] == participant
    # The waiting room: the same people, once each, in the same order.
    fresh = cluster.client(cw, {"role": "dashboard"})
    await fresh.connect(b.url)
    snapshot = await fresh.next("lobby.snapshot")
    assert [e["participant"] for e in snapshot["sessions"][queue_session]] == order
    positions = [await c.next("lobby.position") if c in on_a else None for c in waiting]
    assert all(p is None or p["waiting"] == WAITING for p in positions)


async def test_sigterm_drains_a_node(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    session_id, caseworker, recipient, participant = await _call(cluster, cw, csrf, dashboard, a, a)
    a.terminate()
    # Drained promptly: the websockets are closed at once, not after a ping timeout (20 s).
    await asyncio.wait_for(asyncio.gather(caseworker.dropped.wait(), recipient.dropped.wait()), 5)
    assert await a.wait_exit(15) == 0
    await caseworker.reconnect(b.url)
    await caseworker.next("call.peers")
    await recipient.reconnect(b.url)
    assert [p["role"] for p in (await recipient.next("call.peers"))["peers"]] == ["caseworker"]
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP


async def test_a_dead_nodes_participant_is_reported_left_then_gone(cluster: Cluster) -> None:
    """The recipient's node is killed and the recipient never returns: the surviving node tells
    the caseworker ``peer.left`` within the presence timeout and ``peer.gone`` after the grace."""
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    session_id, caseworker, recipient, participant = await _call(cluster, cw, csrf, dashboard, b, a)
    ttl = float(a.env["PRESENCE_TTL_SECONDS"])
    grace = float(a.env["REJOIN_GRACE_SECONDS"])
    killed_at = time.monotonic()
    a.kill()
    await a.wait_exit(10)
    left = await caseworker.next("peer.left", timeout=ttl + 10)
    left_after = time.monotonic() - killed_at
    assert left == {"participant": participant, "grace": grace}
    # The presence timeout, and the watch's round (a fifth of it, at most a second) on a busy machine.
    assert left_after < ttl + 2, left_after
    gone = await caseworker.next("peer.gone", timeout=grace + 10)
    assert gone == {"participant": participant}
    assert time.monotonic() - killed_at - left_after >= grace - 0.5
    # Told once, by one node.
    with pytest.raises(asyncio.TimeoutError):
        await caseworker.next("peer.left", timeout=1)


async def test_grace_of_a_drained_node_ends_on_another(cluster: Cluster) -> None:
    """SIGTERM: the draining node says ``peer.left``; ``peer.gone`` still comes, from the other node."""
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    session_id, caseworker, recipient, participant = await _call(cluster, cw, csrf, dashboard, b, a)
    a.terminate()
    assert await a.wait_exit(15) == 0
    assert (await caseworker.next("peer.left"))["participant"] == participant
    assert await caseworker.next("peer.gone", timeout=float(a.env["REJOIN_GRACE_SECONDS"]) + 10) == {
        "participant": participant
    }


DRAIN_SOCKETS = 150


async def test_a_drain_of_150_sockets_exhausts_no_redis_pool(cluster: Cluster) -> None:
    """Every socket of a node leaves at once on SIGTERM; each leave writes presence in Redis.
    None may fail for want of a Redis connection (redis-py's own pool stops at 100)."""
    a, b = cluster.a, cluster.b
    cw, csrf, dashboard = await _caseworker(cluster, b)
    # Five call pages per session: a participant holds at most SOCKETS_PER_PARTICIPANT.
    sessions = [await create_session(cw, csrf) for _ in range(DRAIN_SOCKETS // 5)]  # type: ignore[arg-type]
    sockets = [
        cluster.client(cw, {"role": "caseworker", "session": sessions[i % len(sessions)][0], "instance": instance()})
        for i in range(DRAIN_SOCKETS)
    ]
    for start in range(0, DRAIN_SOCKETS, 25):
        await asyncio.gather(*(s.connect(a.url) for s in sockets[start : start + 25]))
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        watched = await redis.zcard(f"{a.env['REDIS_PREFIX']}:watch")
        assert watched == DRAIN_SOCKETS
        a.terminate()
        assert await a.wait_exit(30) == 0
        # Every leave was written: nothing of the drained node lingers in Redis.
        assert await redis.zcard(f"{a.env['REDIS_PREFIX']}:watch") == 0
    finally:
        await redis.aclose()
    log = "".join(a.output)
    assert "Too many connections" not in log and "MaxConnectionsError" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


@contextlib.asynccontextmanager
async def _two_nodes(settings: Settings, **env: str) -> AsyncIterator[Cluster]:
    """Two nodes like ``cluster``'s, with extra environment (e.g. the purge turned on)."""
    need(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    prefix = f"t{secrets.token_hex(6)}"
    made = Cluster(settings, prefix)
    made.a.env.update(env)
    made.b.env.update(env)
    try:
        await asyncio.gather(made.a.start(), made.b.start())
        yield made
    finally:
        for browser in made.browsers:
            await browser.close()
        await made.a.stop()
        await made.b.stop()
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _metric(browser: Browser, name: str) -> float:
    resp = await browser.get("/metrics")
    assert resp.status == 200
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    return 0.0


async def test_two_nodes_purge_once_per_interval(settings: Settings, db: Any) -> None:
    """Both nodes start their purge at once; the Redis lock lets one of them run it."""
    async with _two_nodes(settings, PURGE_INTERVAL_SECONDS="3600") as pair:
        a, b = pair.browser(pair.a), pair.browser(pair.b)
        # Each node has had its first round when it counts a run or a round left to the other.
        rounds: dict[str, float] = {}
        while True:
            for name, browser in (("a", a), ("b", b)):
                rounds[f"{name}.runs"] = await _metric(browser, "videoberatung_purge_runs_total")
                rounds[f"{name}.skipped"] = await _metric(browser, "videoberatung_purge_skipped_total")
            if rounds["a.runs"] + rounds["a.skipped"] >= 1 and rounds["b.runs"] + rounds["b.skipped"] >= 1:
                break
            await asyncio.sleep(0.2)  # polling the nodes' own counters: nothing to await instead
        assert rounds["a.runs"] + rounds["b.runs"] == 1, rounds
        assert rounds["a.skipped"] + rounds["b.skipped"] == 1, rounds
    async with db() as session:
        runs = await session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.event == "purge"))
    assert runs == 1


async def test_a_booking_limit_hit_on_one_node_holds_on_the_other(settings: Settings) -> None:
    async with _two_nodes(settings) as pair:
        cw = pair.browser(pair.a)
        csrf = await login(cw)  # type: ignore[arg-type]
        session_id, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
        person = pair.browser(pair.a)
        assert (await person.get(join_path, allow_redirects=False)).status == 303
        form = await person.get(f"/s/{session_id}/fallback")
        assert form.status == 200
        token = csrf_from(await form.text())
        data = {"csrf_token": token, "channel": "phone", "slot": "", "phone": "1", "who": "mine"}
        statuses = [(await person.post(f"/s/{session_id}/fallback", data=data)).status for _ in range(10)]
        assert statuses == [400] * 10  # a form error each, every one counted
        # The same person's next request reaches B (a load balancer's choice): still refused.
        elsewhere = pair.browser(pair.b)
        elsewhere.session.cookie_jar.update_cookies(
            {c.key: c.value for c in person.session.cookie_jar}, URL(pair.b.url)
        )
        refused = await elsewhere.post(f"/s/{session_id}/fallback", data=data, allow_redirects=False)
        assert refused.status == 429
        # And a different person is not affected.
        other = pair.browser(pair.b)
        other_session, other_join = await create_session(cw, csrf)  # type: ignore[arg-type]
        assert (await other.get(other_join, allow_redirects=False)).status == 303
        other_form = await other.get(f"/s/{other_session}/fallback")
        other_data = {**data, "csrf_token": csrf_from(await other_form.text())}
        assert (await other.post(f"/s/{other_session}/fallback", data=other_data)).status == 400


async def test_readyz_answers_503_while_a_node_drains(settings: Settings) -> None:
    async with _two_nodes(settings, DRAIN_SECONDS="60") as pair:
        a = pair.a
        cw = pair.browser(a)
        await login(cw)  # type: ignore[arg-type]
        dashboard = Client(cw.cookie(), {"role": "dashboard"})
        pair.clients.append(dashboard)
        await dashboard.connect(a.url)
        assert (await cw.get("/readyz")).status == 200
        a.terminate()
        # The drain has begun once the node closed its sockets; it still answers HTTP.
        await asyncio.wait_for(dashboard.dropped.wait(), 10)
        drained = await cw.get("/readyz")
        assert drained.status == 503
        assert (await drained.json())["node"] == "draining"
        assert (await cw.get("/healthz")).status == 200
        a.terminate()  # a second SIGTERM ends the drain at once
        assert await a.wait_exit(15) == 0
