"""The client side: socket.io clients in one process, one shared aiohttp session, open loop.

Latency counts from the *scheduled* send time, so a client that falls behind its
schedule shows up as latency instead of silently lowering the rate. The client watches
itself (CPU share and event-loop lag); a run where it was the bottleneck is marked
``discarded`` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

from load_tests import pages
from load_tests.targets import Target

CLK_TCK = os.sysconf("SC_CLK_TCK")
CANDIDATE = "candidate:{seq} 1 udp 2122260223 192.0.2.10 54321 typ host generation 0 ufrag abcd network-id 1"
_SEQ = re.compile(r"(?:candidate:|o=- )(\d+) ")
# Above this the client, not the server, limits the run.
MAX_CLIENT_CPU_SHARE = 0.9
MAX_LOOP_LAG_P99_MS = 50.0


def cpu_ms(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / CLK_TCK


def pss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError("no Pss in smaps_rollup")


def server_cpu_ms(target: Target) -> float:
    """CPU of the target's processes (every node of a multi-node target)."""
    return sum(cpu_ms(pid) for pid in target.pids)


def server_pss_kib(target: Target) -> int:
    return sum(pss_kib(pid) for pid in target.pids)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sdp(seq: int, size: int = 3000) -> str:
    head = f"v=0\r\no=- {seq} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    return head + "a=x-pad:" + "p" * max(0, size - len(head) - 10) + "\r\n"


class LagMonitor:
    """Event-loop lag of the client: how late a 10 ms timer fires."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.01)
            self.lags.append((loop.time() - start - 0.01) * 1000)

    def __enter__(self) -> LagMonitor:
        self._cpu = time.process_time()
        self._wall = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.cpu_share = (time.process_time() - self._cpu) / max(1e-9, time.monotonic() - self._wall)

    def verdict(self) -> dict[str, Any]:
        lag = percentile(self.lags, 0.99) or 0.0
        reasons = []
        if self.cpu_share > MAX_CLIENT_CPU_SHARE:
            reasons.append(f"client CPU {self.cpu_share:.0%} of a core")
        if lag > MAX_LOOP_LAG_P99_MS:
            reasons.append(f"client loop lag p99 {lag:.0f} ms")
        return {
            "client_cpu_share": round(self.cpu_share, 3),
            "client_loop_lag_p99_ms": round(lag, 2),
            "discarded": "; ".join(reasons) or None,
        }


@dataclass
class Conn:
    sio: socketio.AsyncClient
    received: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    # perf_counter() when the CONNECT packet was read, and when each event first arrived:
    # stamped by the read loop itself, before any waiting coroutine wakes up.
    connected_at: float = 0.0
    first: dict[str, float] = field(default_factory=dict)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.received.setdefault(event, asyncio.Queue())


async def open_conn(
    target: Target,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    auth: dict[str, Any],
    sink: Any = None,
    handlers: dict[str, Any] | None = None,
    label: str = "",
    node: int = 0,
) -> Conn:
    """One connected client of ``node``; ``handlers`` run in the read loop, before ``connect`` returns."""
    # Cookies go in websocket_extra_options: engine.io would move a Cookie header into
    # the shared session's jar, where concurrent clients overwrite each other's.
    sio = socketio.AsyncClient(
        reconnection=False, http_session=http, websocket_extra_options={"headers": dict(headers)}
    )
    conn = Conn(sio)

    async def record(event: str, data: Any = None) -> None:
        conn.first.setdefault(event, time.perf_counter())
        if sink is not None and event in ("offer", "answer", "candidate"):
            sink(event, data)
        else:
            conn.queue(event).put_nowait(data)

    def connected() -> None:
        conn.connected_at = time.perf_counter()

    sio.on("*", record)
    sio.on("connect", connected)
    sio.on("connect_error", lambda data=None: conn.queue("connect_error").put_nowait(data))
    for event, handler in (handlers or {}).items():
        sio.on(event, handler)
    try:
        await sio.connect(target.url_for(node), auth=auth, transports=["websocket"], wait_timeout=15)
    except socketio.exceptions.ConnectionError as exc:
        refused = conn.queue("connect_error")
        raise ConnectionError(
            f"{target.name} refused {label or auth.get('role')}: {refused.get_nowait() if refused.qsize() else exc}"
        ) from exc
    return conn


async def connect(
    target: Target, http: aiohttp.ClientSession, index: int, side: int, sink: Any = None, node: int | None = None
) -> Conn:
    """Side ``side`` of pair ``index``; on a multi-node target each side on its own node unless ``node`` says."""
    pair = target.pair(index)
    return await open_conn(
        target,
        http,
        pair.headers[side],
        pair.auth[side],
        sink,
        label=f"pair {index} side {side}",
        node=side if node is None else node,
    )


async def connect_pairs(
    target: Target, http: aiohttp.ClientSession, pairs: int, sink: Any = None, batch: int = 25
) -> list[tuple[Conn, Conn]]:
    made: list[tuple[Conn, Conn]] = []
    for start in range(0, pairs, batch):
        chunk = range(start, min(pairs, start + batch))
        firsts = await asyncio.gather(*(connect(target, http, i, 0, sink) for i in chunk))
        seconds = await asyncio.gather(*(connect(target, http, i, 1, sink) for i in chunk))
        made.extend(zip(firsts, seconds, strict=True))
    return made


async def close_all(conns: list[tuple[Conn, Conn]]) -> None:
    await asyncio.gather(*(c.sio.disconnect() for pair in conns for c in pair), return_exceptions=True)


async def idle(target: Target, http: aiohttp.ClientSession, connections: int) -> dict[str, Any]:
    """Memory per idle connection, from the server's PSS before and after.

    Run it on a freshly started target: the pages first, as browsers load them before
    their sockets connect (each hands over its pass: (a) only), then a few connections to
    load what is loaded lazily; the figure is the growth for ``connections`` more.
    """
    await pages.call_passes(target, http, connections // 2)
    await close_all(await connect_pairs(target, http, min(10, connections // 2)))
    await asyncio.sleep(0.5)
    before = server_pss_kib(target)
    conns = await connect_pairs(target, http, connections // 2)
    await asyncio.sleep(1)  # let allocations settle; a benchmark, not a test
    after = server_pss_kib(target)
    await close_all(conns)
    return {
        "connections": len(conns) * 2,
        "pss_kib_before": before,
        "pss_kib_after": after,
        "kib_per_connection": round((after - before) / max(1, len(conns) * 2), 2),
    }


async def relay(
    target: Target,
    http: aiohttp.ClientSession,
    pairs: int,
    rate: float,
    seconds: float,
    around: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
) -> dict[str, Any]:
    """Open-loop relay at ``rate`` msg/s over ``pairs`` calls: 80 % candidates, 20 % 3 KB SDPs.

    ``around`` (e.g. a profiler) is entered once the pairs are connected and left before
    they disconnect: it sees the relaying only.
    """
    scheduled: dict[int, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()
    total = int(rate * seconds)

    def sink(event: str, data: Any) -> None:
        text = data.get("candidate") or data.get("sdp") or ""
        match = _SEQ.search(text)
        if match and (at := scheduled.pop(int(match.group(1)), None)) is not None:
            latencies.append((time.perf_counter() - at) * 1000)
            if len(latencies) == total:
                done.set()

    conns = await connect_pairs(target, http, pairs, sink)
    rng = random.Random(6)
    async with around() if around is not None else contextlib.nullcontext():
        result = await _relay(target, conns, rng, scheduled, latencies, done, rate, total)
    await close_all(conns)
    return result


async def _relay(
    target: Target,
    conns: list[tuple[Conn, Conn]],
    rng: random.Random,
    scheduled: dict[int, float],
    latencies: list[float],
    done: asyncio.Event,
    rate: float,
    total: int,
) -> dict[str, Any]:
    cpu_before = server_cpu_ms(target)
    with LagMonitor() as monitor:
        # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
        start = time.perf_counter() + 0.2
        for seq in range(total):
            at = start + seq / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sender = conns[seq % len(conns)][seq % 2]
            scheduled[seq] = at
            if rng.random() < 0.8:
                await sender.sio.emit(
                    "candidate", {"candidate": CANDIDATE.format(seq=seq), "sdpMid": "0", "sdpMLineIndex": 0}
                )
            else:
                await sender.sio.emit("offer" if seq % 2 else "answer", {"sdp": sdp(seq)})
        try:
            await asyncio.wait_for(done.wait(), 10)
        except TimeoutError:
            pass
    cpu = server_cpu_ms(target) - cpu_before
    return {
        "pairs": len(conns),
        "rate": rate,
        "sent": total,
        "received": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "server_cpu_ms_per_1000": round(cpu * 1000 / max(1, len(latencies)), 2),
        **monitor.verdict(),
    }


async def setups(
    target: Target,
    http: aiohttp.ClientSession,
    calls: int,
    around: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> dict[str, Any]:
    """``calls`` simultaneous set-ups: connect both sides, offer, answer, 8 candidates each way.

    A few set-ups one after the other come first, untimed: on a freshly started target
    they pay for what loads lazily (compiled SQL, the database's page cache), once. On a
    multi-node target the caseworker (side 0) is on node 0 and the recipient on node 1.
    A set-up that fails or takes over 120 s is counted, not timed.
    """

    async def one(i: int) -> float:
        start = time.perf_counter()
        conns: list[Conn] = []
        try:
            a = await connect(target, http, i, 0)
            conns.append(a)
            b = await connect(target, http, i, 1)
            conns.append(b)
            await a.sio.emit("offer", {"sdp": sdp(i)})
            await b.queue("offer").get()
            await b.sio.emit("answer", {"sdp": sdp(i)})
            await a.queue("answer").get()
            for k in range(8):
                await a.sio.emit("candidate", {"candidate": CANDIDATE.format(seq=k), "sdpMid": "0", "sdpMLineIndex": 0})
                await b.sio.emit("candidate", {"candidate": CANDIDATE.format(seq=k), "sdpMid": "0", "sdpMLineIndex": 0})
            for _ in range(8):
                await a.queue("candidate").get()
                await b.queue("candidate").get()
            return (time.perf_counter() - start) * 1000
        finally:
            await asyncio.gather(*(c.sio.disconnect() for c in conns), return_exceptions=True)

    await pages.call_passes(target, http, calls)  # what the browsers hold before they connect
    for i in range(min(5, calls)):
        await asyncio.wait_for(one(i), 60)
    async with around() if around is not None else contextlib.nullcontext():  # e.g. a profiler
        cpu_before = server_cpu_ms(target)
        with LagMonitor() as monitor:
            found = await asyncio.gather(*(asyncio.wait_for(one(i), 120) for i in range(calls)), return_exceptions=True)
        cpu = server_cpu_ms(target) - cpu_before
    times = [t for t in found if isinstance(t, float)]
    return {
        "calls": calls,
        # Both connects, the offer, the answer, 16 candidates, both disconnects.
        "server_cpu_ms_per_set_up": round(cpu / max(1, calls), 2),
        "completed": len(times),
        "failures": sorted({f"{type(e).__name__}: {e}" for e in found if isinstance(e, BaseException)}),
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        **monitor.verdict(),
    }
