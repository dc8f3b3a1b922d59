"""One scenario of the bench against chosen targets, for A/B runs while trimming.

``python -m load_tests.quick idle 1000,5000 ours,bare,node`` measures only the idle
memory; ``python -m load_tests.quick relay 1000,2000 ours,bare`` only the relay (50
pairs, 10 s). ``--profile DIR`` records the server with py-spy (raw stacks, 500 Hz)
during each relay run. Each figure on a freshly started target, as ``load_tests.run``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiohttp

from load_tests import harness, stacks, targets
from load_tests.run import _raise_open_files, _within


def _profiler(out: Path, target: targets.Target) -> Callable[[], AbstractAsyncContextManager[None]]:
    """py-spy on the server while the pairs relay (not while they connect or leave)."""
    return lambda: stacks.py_spy(out, target.pid)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(x) for x in args.sizes.split(",")]
    names = args.targets.split(",")
    with tempfile.TemporaryDirectory(prefix="vb-quick-") as tmp:
        made: list[targets.Target] = []
        for name in names:
            if name == "ours":
                need = max(sizes) // 2 if args.scenario == "idle" else args.pairs
                made.append(await targets.ours(Path(tmp) / "ours", need + 10))
            elif name == "bare":
                made.append(targets.bare())
            elif name == "node":
                targets.npm_install()
                made.append(targets.node())
        found: dict[str, list[dict[str, Any]]] = {t.name: [] for t in made}
        limit = _raise_open_files()
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
                for _ in range(args.repeat):
                    for size in sizes:
                        for t in made:
                            await t.restart()
                            if args.scenario == "idle":
                                found[t.name].append(await harness.idle(t, http, _within(limit, size)))
                                continue
                            around = _profiler(Path(args.profile) / f"{t.name}-{size}.txt", t) if args.profile else None
                            found[t.name].append(await harness.relay(t, http, args.pairs, size, args.seconds, around))
        finally:
            await asyncio.gather(*(t.stop() for t in made))
    return found


def summary(found: dict[str, list[dict[str, Any]]], scenario: str) -> str:
    key = "kib_per_connection" if scenario == "idle" else "server_cpu_ms_per_1000"
    lines = []
    for name, runs in found.items():
        figures = ", ".join(
            f"{r.get('connections', r.get('rate'))}: {r[key]}" + (" (discarded)" if r.get("discarded") else "")
            for r in runs
        )
        lines.append(f"{name:5} {key}: {figures}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m load_tests.quick")
    parser.add_argument("scenario", choices=("idle", "relay"))
    parser.add_argument("sizes", help="connections (idle) or msg/s (relay), comma-separated")
    parser.add_argument("targets", nargs="?", default="ours,bare,node")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    import uvloop

    result = uvloop.run(main(args))
    print(json.dumps(result))
    print(summary(result, args.scenario))
    sys.exit(0)
