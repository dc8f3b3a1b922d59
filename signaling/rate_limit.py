"""Token buckets per participant and event kind, the strikes that end a flood, and a
rate-limited log line for refusals.

A real call set-up sends tens of candidates in a burst (and again on an ICE restart), a
few offers and answers, now and then a hangup: the buckets are sized well above that.
The buckets belong to the *participant* (every socket of one person draws from the same
ones; ``key`` names the owner), so twenty extra sockets buy no extra budget. An event
over its bucket is refused with ``rate_limited`` and costs the *socket* a strike, as
does every refused event name and malformed frame; strikes refill slowly, and a socket
that runs out of them is a flooder and is disconnected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Limit", "LIMITS", "DEFAULT_LIMIT", "STRIKES", "Verdict", "SocketRateLimit", "QuietLog"]


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
    """Buckets per (owner, event kind), strikes per socket; ``forget(sid)`` when a socket is gone.

    ``key`` names a socket's owner (the participant); unknown sockets own themselves.
    """

    def __init__(
        self,
        limits: Mapping[str, Limit] = LIMITS,
        strikes: Limit = STRIKES,
        clock: Callable[[], float] = time.monotonic,
        key: Callable[[str], str] = lambda sid: sid,
    ) -> None:
        self._limits = limits
        self._strikes = strikes
        self._clock = clock
        self._key = key
        self._buckets: dict[str, dict[str, _Bucket]] = {}  # owner -> event kind -> bucket
        self._owners: dict[str, str] = {}  # sid -> owner, while the socket lives
        self._sockets: dict[str, int] = {}  # owner -> how many of its sockets are known
        self._struck: dict[str, _Bucket] = {}  # sid -> strikes left

    def check(self, sid: str, event: str) -> str:
        """``Verdict.ALLOW``, ``REFUSE`` (over the owner's limit) or ``DISCONNECT`` (out of strikes)."""
        now = self._clock()
        owner = self._owners.get(sid)
        if owner is None:
            owner = self._owners[sid] = self._key(sid)
            self._sockets[owner] = self._sockets.get(owner, 0) + 1
        buckets = self._buckets.setdefault(owner, {})
        limit = self._limits.get(event, DEFAULT_LIMIT)
        bucket = buckets.get(event)
        if bucket is None:
            bucket = buckets[event] = _Bucket(limit.burst, now)
        if bucket.take(limit, now):
            return Verdict.ALLOW
        return self.strike(sid)

    def strike(self, sid: str) -> str:
        """A refused event of ``sid``: ``REFUSE``, or ``DISCONNECT`` when it has no strike left."""
        now = self._clock()
        strikes = self._struck.get(sid)
        if strikes is None:
            strikes = self._struck[sid] = _Bucket(self._strikes.burst, now)
        return Verdict.REFUSE if strikes.take(self._strikes, now) else Verdict.DISCONNECT

    def forget(self, sid: str) -> None:
        self._struck.pop(sid, None)
        owner = self._owners.pop(sid, None)
        if owner is None:
            return
        left = self._sockets.pop(owner, 1) - 1
        if left > 0:
            self._sockets[owner] = left
        else:
            self._buckets.pop(owner, None)  # the owner's last socket: nothing left to limit


class QuietLog:
    """One WARNING per ``every`` seconds for a kind of refusal, saying how many were not logged.

    A flood of refused frames must not become a flood of log lines.
    """

    def __init__(
        self, logger: logging.Logger, every: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def warning(self, what: str) -> None:
        now = self._clock()
        last = self._last.get(what)
        if last is not None and now - last < self._every:
            self._quiet[what] = self._quiet.get(what, 0) + 1
            return
        self._last[what] = now
        quiet = self._quiet.pop(what, 0)
        if quiet:
            self._logger.warning("%s (and %d more in the last %.0f s)", what, quiet, now - last if last else 0)
        else:
            self._logger.warning("%s", what)
