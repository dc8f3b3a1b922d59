"""A once-per-interval lock in Redis: of several nodes asking, one gets each interval.

``SET P:lock:<name> <token> NX PX <interval>``: whoever sets it runs; the key lapses by
itself after the interval, so a node that died holding it blocks nobody for longer.
Two runs are therefore always at least one interval apart, whichever nodes run them.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

__all__ = ["IntervalLock"]


class IntervalLock:
    """``await lock()`` is True for exactly one caller per ``seconds``; the client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, name: str, seconds: float) -> None:
        self._redis = redis
        self._key = f"{prefix}:lock:{name}"
        self._ms = max(1, int(seconds * 1000))

    async def __call__(self) -> bool:
        return bool(await self._redis.set(self._key, secrets.token_hex(8), nx=True, px=self._ms))
