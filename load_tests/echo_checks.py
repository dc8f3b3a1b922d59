"""CPU and memory per concurrent pre-call check (the server's aiortc echo peer).

Runs the real app in a child process (SQLite in a temporary folder) and drives it with
aiortc clients that do what check.js does: send audio (Opus), ping over an unordered data
channel 10 times a second, and probe throughput. The child's CPU (utime + stime from
/proc) and RSS are sampled with 0, 1, 2 and 4 checks running.

    .venv/bin/python -m load_tests.echo_checks [--seconds 10] [--levels 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

_TICKS = os.sysconf("SC_CLK_TCK")


def _serve(port: int, folder: str) -> None:
    from aiohttp import web

    from storage.db import create_engine, migrate
    from web.app import create_app
    from web.settings import Settings

    settings = Settings(
        instance_path=Path(folder) / "instance",
        database_url=f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
        check_max_concurrent=64,
        check_seconds=120,
        purge_interval_seconds=0,
    )

    async def prepare() -> None:
        engine = create_engine(settings.database_url)
        await migrate(engine)
        await engine.dispose()

    asyncio.run(prepare())
    web.run_app(create_app(settings), host="127.0.0.1", port=port, print=None)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)  # polling a child's port: no event to wait on
    raise TimeoutError("the server did not start")


class Client:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(AudioStreamTrack())
        self.ping = self.pc.createDataChannel("ping", ordered=False, maxRetransmits=0)
        self.opened = asyncio.get_running_loop().create_future()
        self.ping.on("open", lambda: self.opened.done() or self.opened.set_result(None))
        self.check = ""
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with self.http.post(
            f"{self.base}/api/check/offer", json={"type": "offer", "sdp": self.pc.localDescription.sdp}
        ) as resp:
            resp.raise_for_status()
            body: dict[str, Any] = await resp.json()
        self.check = body["check"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))
        await asyncio.wait_for(self.opened, timeout=20)
        self.task = asyncio.create_task(self._pings())

    async def _pings(self) -> None:
        n = 0
        while True:
            self.ping.send(f"ping-{n}")
            n += 1
            await asyncio.sleep(0.1)  # the browser's ping cadence

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        async with self.http.post(
            f"{self.base}/api/check/result",
            json={
                "check": self.check,
                "connected": True,
                "rtt_ms": 1,
                "loss_percent": 0,
                "jitter_ms": 0,
                "bitrate_kbps": 1000,
            },
        ) as resp:
            resp.raise_for_status()
        await self.pc.close()


async def _measure(pid: int, seconds: float) -> tuple[float, float]:
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)  # the measuring window
    cpu1, t1 = _cpu_seconds(pid), time.monotonic()
    return 100 * (cpu1 - cpu0) / (t1 - t0), _rss_mib(pid)


async def main(seconds: float, levels: list[int]) -> list[dict[str, float]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "load_tests.echo_checks", "--serve", str(port), folder
        )
        try:
            await _wait_port(port, time.monotonic() + 30)
            base = f"http://127.0.0.1:{port}"
            rows = []
            async with aiohttp.ClientSession() as http:
                # Warm up once (imports, codec initialisation), then measure idle.
                warm = Client(base, http)
                await warm.start()
                await warm.stop()
                cpu, rss = await _measure(child.pid, seconds)
                rows.append({"checks": 0, "cpu_percent": cpu, "rss_mib": rss})
                for level in levels:
                    clients = [Client(base, http) for _ in range(level)]
                    await asyncio.gather(*(c.start() for c in clients))
                    cpu, rss = await _measure(child.pid, seconds)
                    rows.append({"checks": level, "cpu_percent": cpu, "rss_mib": rss})
                    await asyncio.gather(*(c.stop() for c in clients))
            return rows
        finally:
            child.terminate()
            await asyncio.wait_for(child.wait(), timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "FOLDER"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--levels", default="1,2,4")
    args = parser.parse_args()
    if args.serve:
        _serve(int(args.serve[0]), args.serve[1])
        sys.exit(0)
    results = asyncio.run(main(args.seconds, [int(x) for x in args.levels.split(",")]))
    idle = results[0]
    for row in results:
        n = row["checks"]
        extra = (
            f"  per check: {(row['cpu_percent'] - idle['cpu_percent']) / n:5.1f} % CPU, "
            f"{(row['rss_mib'] - idle['rss_mib']) / n:5.1f} MiB"
            if n
            else ""
        )
        print(f"{n} checks: {row['cpu_percent']:5.1f} % CPU, RSS {row['rss_mib']:6.1f} MiB{extra}")
    out = Path(__file__).with_name("results") / "echo_checks.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
