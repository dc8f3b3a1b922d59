"""What one idle socket holds in (a) and (b): tracemalloc in the server, real clients outside.

The server runs as a child process with tracemalloc on (``child`` below) and dumps a
snapshot on SIGUSR1; the parent opens a few connections (lazy loading), snapshots,
opens N more real socket.io clients the way the harness does, snapshots again, and
prints the growth grouped by allocating line and by traceback, per connection.

Run: ``python -m load_tests.memory_profile ours 1000`` (or ``bare``); not part of
``make bench`` (tracemalloc slows the server several times over).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import aiohttp

from load_tests import harness, targets

FRAMES = 12


def child(which: str, dump: str) -> None:
    """The server under test, tracing allocations; SIGUSR1 writes a snapshot to ``dump``."""
    tracemalloc.start(FRAMES)
    count = 0

    def snapshot(*_: object) -> None:
        nonlocal count
        import gc

        gc.collect()
        tracemalloc.take_snapshot().dump(f"{dump}.{count}")
        count += 1
        Path(f"{dump}.{count - 1}.done").touch()

    signal.signal(signal.SIGUSR1, snapshot)
    if which == "ours":
        from web.cli import main

        sys.exit(main(["serve"]))
    import uvloop
    from aiohttp import web

    from load_tests.baselines.bare_relay import make_app

    web.run_app(
        make_app(),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


def _wait_for(path: Path) -> None:
    while not path.exists():  # the child touches it when the snapshot is written
        time.sleep(0.2)


async def _snap(target: targets.Target, dump: str, index: int) -> tracemalloc.Snapshot:
    os.kill(target.pid, signal.SIGUSR1)
    await asyncio.to_thread(_wait_for, Path(f"{dump}.{index}.done"))
    return tracemalloc.Snapshot.load(f"{dump}.{index}")


async def profile(which: str, connections: int, top: int = 25) -> None:
    with tempfile.TemporaryDirectory(prefix="vb-mem-") as tmp:
        dump = str(Path(tmp) / "snap")
        if which == "ours":
            target = await targets.ours(Path(tmp) / "ours", connections // 2 + 10)
            target.command = [sys.executable, "-m", "load_tests.memory_profile", "child", "ours", dump]
        else:
            target = targets.bare()
            target.command = [sys.executable, "-m", "load_tests.memory_profile", "child", "bare", dump]
        await target.start(timeout=60)
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
                await harness.close_all(await harness.connect_pairs(target, http, 5))
                await asyncio.sleep(0.5)
                before = await _snap(target, dump, 0)
                pss0 = harness.pss_kib(target.pid)
                conns = await harness.connect_pairs(target, http, connections // 2)
                await asyncio.sleep(1)
                after = await _snap(target, dump, 1)
                pss1 = harness.pss_kib(target.pid)
                await harness.close_all(conns)
        finally:
            await target.stop()
    n = len(conns) * 2
    report(which, n, before, after, pss1 - pss0, top)


# What allocated it, by the innermost frame (file, and line where one file holds several parts).
PARTS = (
    ("aiohttp/web_protocol.py:446", "aiohttp: the parsed HTTP request (headers, raw headers, URL)"),
    ("aiohttp/web_protocol.py", "aiohttp: the connection's RequestHandler (parser, buffers, handler task)"),
    ("aiohttp/web.py", "event loop (uvloop): transport, handles; C allocations under run_app"),
    ("aiohttp/web_ws.py", "aiohttp: WebSocketResponse, its reader queue and parser"),
    ("aiohttp/_websocket", "aiohttp: websocket writer"),
    ("aiohttp/", "aiohttp: other (request object, app dispatch, middleware frames)"),
    ("engineio/async_drivers/aiohttp.py", "engine.io: the WSGI-style environ (a copy of the headers)"),
    ("engineio/", "engine.io: socket object, its coroutines (reader, writer, ping)"),
    ("asyncio/queues.py", "asyncio: engine.io's packet queue"),
    ("asyncio/locks.py", "asyncio: the queue's Event"),
    ("asyncio/tasks.py", "asyncio: tasks, wait_for futures and timers"),
    ("_weakrefset.py", "asyncio: task registry (WeakSet) entries"),
    ("socketio/", "socket.io: sid maps and rooms"),
    ("bidict/", "socket.io: sid maps and rooms"),
    ("signaling/", "ours: Peer, index, transport wrapper"),
    ("web/", "ours: web (middleware frame)"),
    ("load_tests/baselines", "bare relay: its room map, transport wrapper"),
)


def part(frame: tracemalloc.Frame) -> str:
    where = f"{frame.filename}:{frame.lineno}"
    for needle, name in PARTS:
        if needle in where:
            return name
    return "other"


def parts(n: int, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> dict[str, float]:
    """Bytes per connection by part."""
    found: dict[str, float] = {}
    for s in after.compare_to(before, "traceback"):
        name = part(s.traceback[-1])
        found[name] = found.get(name, 0.0) + s.size_diff / n
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def report(which: str, n: int, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, pss: int, top: int) -> None:
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(
        f"== {which}: {n} connections; traced {total / n / 1024:.2f} KiB each; PSS {pss / n:.2f} KiB each "
        f"(PSS under tracemalloc includes its own bookkeeping)"
    )
    print("-- by part")
    for name, size in parts(n, before, after).items():
        print(f"{size:9.0f} B  {name}")
    print("-- by file")
    for s in after.compare_to(before, "filename")[:top]:
        if s.size_diff > 0:
            print(f"{s.size_diff / n:9.0f} B {s.count_diff / n:6.1f} blocks  {s.traceback[0].filename}")
    print("-- by line")
    for s in after.compare_to(before, "lineno")[:top]:
        if s.size_diff > 0:
            frame = s.traceback[0]
            print(f"{s.size_diff / n:9.0f} B {s.count_diff / n:6.1f} blocks  {frame.filename}:{frame.lineno}")
    print("-- by traceback (top)")
    for s in after.compare_to(before, "traceback")[:top]:
        if s.size_diff <= 0:
            continue
        print(f"{s.size_diff / n:9.0f} B {s.count_diff / n:6.1f} blocks")
        for frame in list(s.traceback)[-6:]:
            print(f"      {frame.filename.split('site-packages/')[-1]}:{frame.lineno}")


if __name__ == "__main__":
    if sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3])
    else:
        asyncio.run(profile(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
