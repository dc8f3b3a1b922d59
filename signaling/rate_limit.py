"""Per-socket token buckets, one per event kind, and the strikes that end a flood.

A real call set-up sends tens of candidates in a burst (and again on an ICE restart), a
few offers and answers, now and then a hangup: the buckets are sized well above that.
An event over its bucket is refused with ``rate_limited`` and costs a strike; strikes
refill slowly, and a socket that runs out of them is a flooder and is disconnected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Limit", "LIMITS", "DEFAULT_LIMIT", "STRIKES", "Verdict", "SocketRateLimit"]


@dataclass(frozen=True, slots=True)
class Limit:
    burst: float
    per_second: float


# Generous for real pages, small for a flooder.
LIMITS: Mapping[str, Limit] = {
    "candidate": Limit(burst=200, per_second=50),
    "offer": Limit(burst=20, per_second=4),
    "answer": Limit(burst=20, per_second=4),
    "hangup": Limit(burst=10, per_second=1),
    # A logged-in caseworker's dashboard; the benchmark's bot admits hundreds at once.
    "lobby.admit": Limit(burst=600, per_second=50),
    "lobby.decline": Limit(burst=600, per_second=50),
    "consent.withdraw": Limit(burst=5, per_second=0.5),
}
DEFAULT_LIMIT = Limit(burst=10, per_second=1)
# Refused events a socket may send before it is disconnected (refilled 5 a second).
STRIKES = Limit(burst=100, per_second=5)


class Verdict:
    ALLOW = "allow"
    REFUSE = "refuse"
    DISCONNECT = "disconnect"


class _Bucket:
    __slots__ = ("tokens", "at")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at

    def take(self, limit: Limit, now: float) -> bool:
        self.tokens = min(limit.burst, self.tokens + (now - self.at) * limit.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class SocketRateLimit:
    """Buckets per (socket, event kind); ``forget(sid)`` when the socket is gone."""

    def __init__(
        self,
        limits: Mapping[str, Limit] = LIMITS,
        strikes: Limit = STRIKES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = limits
        self._strikes = strikes
        self._clock = clock
        self._buckets: dict[str, dict[str, _Bucket]] = {}

    def check(self, sid: str, event: str) -> str:
        """``Verdict.ALLOW``, ``REFUSE`` (over the limit) or ``DISCONNECT`` (out of strikes)."""
        now = self._clock()
        buckets = self._buckets.setdefault(sid, {})
        limit = self._limits.get(event, DEFAULT_LIMIT)
        bucket = buckets.get(event)
        if bucket is None:
            bucket = buckets[event] = _Bucket(limit.burst, now)
        if bucket.take(limit, now):
            return Verdict.ALLOW
        strikes = buckets.get("\0strikes")
        if strikes is None:
            strikes = buckets["\0strikes"] = _Bucket(self._strikes.burst, now)
        return Verdict.REFUSE if strikes.take(self._strikes, now) else Verdict.DISCONNECT

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)
