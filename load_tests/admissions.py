"""Join-to-admitted through the waiting room, with a bot caseworker on the dashboard.

Only "ours" has a waiting room. The bot is one ``dashboard`` socket of the bench
caseworker (the lobby sends every session's updates to ``dash:<account>``); on every
snapshot or update that shows somebody waiting it emits ``lobby.admit`` at once, from
inside the client's read loop. ``guests`` recipients connect with page "wait" at the same
moment; each is timed from the start of its connect, and from the moment it is in the
waiting room (its CONNECT packet), until ``lobby.admitted`` arrives. On a multi-node
target the bot is on node 0 and the recipients on node 1: every lobby update and every
admission crosses Redis.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from load_tests import pages
from load_tests.harness import LagMonitor, open_conn, percentile
from load_tests.targets import Guest, Target

__all__ = ["admits"]


class _Bot:
    """Admits everybody it sees waiting, once each; keeps the refusals it gets back."""

    def __init__(self) -> None:
        self.asked: set[str] = set()
        self.refused: list[Any] = []
        self.sio: Any = None
        self.ready = asyncio.Event()

    async def _admit(self, session: str, waiting: list[dict[str, Any]]) -> None:
        for entry in waiting:
            participant = entry["participant"]
            if participant in self.asked:
                continue
            self.asked.add(participant)
            await self.sio.emit("lobby.admit", {"session": session, "participant": participant}, callback=self._acked)

    def _acked(self, reply: Any = None) -> None:
        if not (isinstance(reply, dict) and reply.get("ok")):
            self.refused.append(reply)

    async def on_snapshot(self, data: dict[str, Any]) -> None:
        self.ready.set()
        for session, waiting in data["sessions"].items():
            await self._admit(session, waiting)

    async def on_update(self, data: dict[str, Any]) -> None:
        await self._admit(data["session"], data["waiting"])


async def admits(target: Target, http: aiohttp.ClientSession, guests: list[Guest], rate: float) -> dict[str, Any]:
    """``len(guests)`` recipients arrive, ``rate`` a second (open loop; 0: all at once); the bot admits each."""
    assert target.dashboard is not None, f"{target.name} has no waiting room"
    # The pages come first, untimed, as in a browser: each hands its socket a pass.
    dashboard = await pages.dashboard_pass(target, http)
    guests = await pages.wait_passes(target, http, guests)
    bot = _Bot()
    dash = await open_conn(
        target,
        http,
        dashboard.headers,
        dashboard.auth,
        handlers={"lobby.snapshot": bot.on_snapshot, "lobby.update": bot.on_update},
        label="dashboard",
        node=0,
    )
    bot.sio = dash.sio
    # The snapshot follows the connect: once it is in, the bot is listening.
    await asyncio.wait_for(bot.ready.wait(), 15)

    begin = time.perf_counter() + 0.1

    async def one(i: int, guest: Guest) -> tuple[float, float]:
        if rate:
            # Open loop: each arrival keeps its slot, however the earlier ones fare.
            await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
        start = time.perf_counter()
        conn = await open_conn(target, http, guest.headers, guest.auth, label="waiting recipient", node=1)
        try:
            await asyncio.wait_for(conn.queue("lobby.admitted").get(), 60)
        except TimeoutError as exc:
            raise TimeoutError("not admitted within 60 s") from exc
        finally:
            await conn.sio.disconnect()
        at = conn.first["lobby.admitted"]
        return (at - start) * 1000, (at - conn.connected_at) * 1000

    try:
        with LagMonitor() as monitor:
            # A recipient refused or never admitted is counted, not timed: a large run
            # still reports what it measured.
            found = await asyncio.gather(*(one(i, g) for i, g in enumerate(guests)), return_exceptions=True)
    finally:
        await dash.sio.disconnect()
    times = [t for t in found if isinstance(t, tuple)]
    total = [t for t, _ in times]
    waited = [w for _, w in times]
    return {
        "recipients": len(guests),
        "rate": rate,
        "admitted": len(times),
        "admit_refused": len(bot.refused),
        "failures": sorted({f"{type(e).__name__}: {e}" for e in found if isinstance(e, BaseException)}),
        "wait_p50_ms": percentile(waited, 0.5),
        "wait_p99_ms": percentile(waited, 0.99),
        "total_p50_ms": percentile(total, 0.5),
        "total_p99_ms": percentile(total, 0.99),
        **monitor.verdict(),
    }
