"""A per-client token bucket for booking requests, in memory (one node).

With Redis, ``storage.redis_rate_limit.RedisRateLimiter`` keeps the same bucket for
every node; both are a ``Limiter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["RateLimiter", "Limiter", "INVITATIONS_PER_HOUR"]

# (capacity, per minute) of a caseworker's invitations by e-mail and SMS: 20 at once and
# 20 an hour, well above a day of sessions, far below a script sending to a number list.
INVITATIONS_PER_HOUR = (20, 20 / 60)


class Limiter(Protocol):
    async def hit(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class RateLimiter:
    """``capacity`` requests at once, refilled at ``per_minute``; owned by the app."""

    def __init__(self, clock: Callable[[], datetime], capacity: int = 10, per_minute: float = 6.0) -> None:
        self._clock = clock
        self._capacity = capacity
        self._rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self._capacity), now)
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
        bucket.at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    async def hit(self, key: str) -> bool:
        return self.allow(key)

    def _forget_full(self, now: datetime) -> None:
        # A bucket that would be full again carries no information: drop it, bound memory.
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.at).total_seconds() * self._rate >= self._capacity:
                del self._buckets[key]
