"""The booking rate limit shared by every node: the same token bucket as
``web.rate_limit.RateLimiter``, kept in Redis (``P:rate:<key>``, a hash of tokens and
time, on Redis's clock) so a limit hit through one node holds on every other.

The ``limits`` package offers fixed and moving windows; a bucket in one short script keeps
the one-node behaviour exactly (a burst of ``capacity``, then ``per_minute``) and uses the
node's Redis client and pool.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

__all__ = ["RedisRateLimiter"]

# KEYS[1]: the bucket; ARGV: capacity, tokens per millisecond, TTL (ms). Returns 1 when a
# token was taken. A bucket that would be full again expires: nothing is kept for nothing.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return taken
"""


class RedisRateLimiter:
    """``capacity`` requests at once, refilled at ``per_minute``, across nodes; the client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, capacity: int = 10, per_minute: float = 6.0) -> None:
        self._prefix = prefix
        self._capacity = capacity
        self._per_ms = per_minute / 60_000.0
        # Long enough to refill completely; after that the bucket carries no information.
        self._ttl_ms = max(1, int(capacity / self._per_ms) + 1000)
        self._take = redis.register_script(_TAKE)

    async def hit(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        # Keys are participant and appointment ids: hashed, so Redis holds no ids in clear.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        taken = await self._take(
            keys=[f"{self._prefix}:rate:{digest}"], args=[self._capacity, repr(self._per_ms), self._ttl_ms]
        )
        return bool(taken)
