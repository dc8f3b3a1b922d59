"""What a browser holds before its socket connects: whatever cookies its page set.

The harness loads the same pages a browser would, untimed and before the scenario, and
presents their cookies with the others. Builds before issue 23 set a signalling pass
there (a signed grant, so the connect read no database); later builds set none, and
their connects read the database, as the grant counts show. Kept so that one harness
measures both sides of an A/B. Only (a) has pages; (b) and (c) are left as they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from load_tests.targets import Guest, Pair, Target

__all__ = ["call_passes", "wait_passes", "dashboard_pass"]

_PASSES = ("vb_staff_pass", "vb_pass")


def _without_passes(cookie: str) -> str:
    return "; ".join(c for c in cookie.split("; ") if c and c.split("=", 1)[0] not in _PASSES)


async def _with_pass(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` whose Cookie also carries the pass the page at ``url`` sets."""
    base = _without_passes(headers.get("Cookie", ""))
    async with http.get(url, headers={"Cookie": base}, allow_redirects=False) as resp:
        if resp.status != 200:
            raise RuntimeError(f"page {url.split('/', 3)[-1]!r} answered {resp.status}")
        await resp.read()
        found = [f"{name}={resp.cookies[name].value}" for name in _PASSES if name in resp.cookies]
    # A build without passes sets none: its connects read the database (the counts show it).
    return {**headers, "Cookie": "; ".join([base, *found])}


async def _batched(work: list[Callable[[], Awaitable[Any]]], size: int = 50) -> list[Any]:
    done: list[Any] = []
    for start in range(0, len(work), size):
        done.extend(await asyncio.gather(*(w() for w in work[start : start + size])))
    return done


async def call_passes(target: Target, http: aiohttp.ClientSession, count: int) -> None:
    """Load both call pages of the first ``count`` pairs (caseworker's on node 0, the
    recipient's on node 1, where their sockets go)."""
    if not target.pairs:
        return

    async def one(i: int) -> None:
        pair = target.pairs[i]
        session = pair.auth[0]["session"]
        staff = await _with_pass(http, f"{target.url_for(0)}/sessions/{session}/call", pair.headers[0])
        guest = await _with_pass(http, f"{target.url_for(1)}/s/{session}/call", pair.headers[1])
        target.pairs[i] = Pair((staff, guest), pair.auth)

    await _batched([lambda i=i: one(i) for i in range(count)])


async def wait_passes(target: Target, http: aiohttp.ClientSession, guests: list[Guest]) -> list[Guest]:
    """The waiting-room page of each guest (on node 1, where the waiting sockets go)."""

    async def one(guest: Guest) -> Guest:
        url = f"{target.url_for(1)}/s/{guest.auth['session']}/wait"
        return Guest(await _with_pass(http, url, guest.headers), guest.auth)

    return list(await _batched([lambda g=g: one(g) for g in guests]))


async def dashboard_pass(target: Target, http: aiohttp.ClientSession) -> Guest:
    assert target.dashboard is not None
    headers = await _with_pass(http, f"{target.url_for(0)}/dashboard", target.dashboard.headers)
    return Guest(headers, target.dashboard.auth)
