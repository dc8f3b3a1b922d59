"""Login attempts per client address and for the whole node, before any password is hashed.

The per-user-name count lives in the database (``storage.login_throttle``); this one is
in memory and guards the node itself: a flood of attempts with random user names from
one address, or from many, never reaches the argon2 pool faster than it can drain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from web.rate_limit import RateLimiter

__all__ = ["LoginThrottle", "client_address"]

_GLOBAL = "*"


class LoginThrottle:
    """Token buckets: ``per_address`` attempts at once per address (refilled at
    ``address_per_minute``), ``node_burst`` at once for the node (``node_per_second``)."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        per_address: int = 10,
        address_per_minute: float = 10.0,
        node_burst: int = 30,
        node_per_second: float = 5.0,
    ) -> None:
        self._addresses = RateLimiter(clock, capacity=per_address, per_minute=address_per_minute)
        self._node = RateLimiter(clock, capacity=node_burst, per_minute=node_per_second * 60)

    def allow(self, address: str) -> bool:
        """Take one attempt for ``address`` and one for the node; False when either is used up."""
        return self._addresses.allow(address) and self._node.allow(_GLOBAL)


def client_address(request: web.Request, trust_forwarded: bool) -> str:
    """The client's address: the peer, or behind a trusted proxy its X-Forwarded-For entry."""
    if trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.remote or "unknown"
