"""Cross-node fan-out: python-socketio's Redis manager, with its listener owned and closed.

``AsyncRedisManager`` starts its pub/sub listener lazily on the first connection and
never stops it. ``RedisFanout.open()`` starts it at start-up and waits until the channel
is subscribed (so no emit from another node is missed after ``/healthz`` answers);
``close()`` cancels and awaits it and closes its Redis connections. Pub/sub drops
messages while a node is disconnected, which is why no state lives only in it.

When Redis restarts, the listener subscribes again on a fresh pub/sub connection every
``retry_seconds`` until it succeeds (python-socketio's own loop doubles its wait up to a
minute, and opens a new client each time without closing the old one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["RedisFanout", "redis_client", "redis_options", "POOL_SIZE", "POOL_WAIT_SECONDS"]

logger = logging.getLogger(__name__)


def redis_options() -> dict[str, Any]:
    """Options for every Redis client of a node: after a Redis restart each pooled
    connection fails once ("closed by server"); retry that once on a new connection
    instead of failing the request or the beat. A Redis that is down still fails fast.
    """
    return {"retry": Retry(NoBackoff(), 1), "retry_on_error": [RedisConnectionError]}


# Every Redis client of a node holds at most this many connections; work beyond that
# waits for a free one (up to ``POOL_WAIT_SECONDS``) instead of failing. redis-py's own
# pool fails with "Too many connections" at 100, which a drain of a few hundred sockets
# (each disconnect writes presence) reached at once.
POOL_SIZE = 50
POOL_WAIT_SECONDS = 20.0


def redis_client(url: str, max_connections: int = POOL_SIZE) -> Redis:
    """A Redis client whose pool blocks when full rather than raising ``MaxConnectionsError``."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS, **redis_options()
    )
    return Redis(connection_pool=pool)


class RedisFanout(socketio.AsyncRedisManager):  # type: ignore[misc]
    def __init__(self, url: str, channel: str, retry_seconds: float = 1.0, max_connections: int = POOL_SIZE) -> None:
        super().__init__(url=url, channel=channel, logger=logger, redis_options=redis_options())
        self._listener: asyncio.Task[Any] | None = None
        self._retry_seconds = retry_seconds
        self._max_connections = max_connections

    def initialize(self) -> None:
        if self._listener is not None:
            return  # python-socketio calls this again on the first connection
        super().initialize()
        self._listener = self.thread

    async def open(self, server: socketio.AsyncServer) -> None:
        """Start the listener; raise ``TimeoutError`` when the channel is not subscribed in 10 s."""
        server.manager_initialized = True
        self.initialize()
        async with asyncio.timeout(10):
            while not self._subscribed():
                if self._listener is not None and self._listener.done():
                    raise RuntimeError("the socket.io Redis listener stopped")
                await asyncio.sleep(0.01)  # polls a flag the listener sets; nothing to await

    def _redis_connect(self) -> None:
        # The base class calls this again after every failed publish and would replace the
        # listener's pub/sub: one client for the node's lifetime, its pool reconnects. The
        # pool blocks when full: a burst of emits (a drain) waits instead of failing.
        if self.__dict__.get("redis") is None:
            self.redis = redis_client(self.redis_url, self._max_connections)
        self.connected = True

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """Replaces python-socketio's loop: a constant wait, the old pub/sub closed."""
        while True:
            try:
                self._redis_connect()
                # Attributes of the untyped base class.
                old: Any = self.__dict__.get("pubsub")
                pubsub: Any = self.__dict__["redis"].pubsub(ignore_subscribe_messages=True)
                self.pubsub = pubsub
                if old is not None:
                    await old.aclose()
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("Redis pub/sub lost (%s); subscribing again in %s s", exc, self._retry_seconds)
                await asyncio.sleep(self._retry_seconds)

    def _subscribed(self) -> bool:
        pubsub: Any = self.__dict__.get("pubsub")
        return pubsub is not None and bool(pubsub.subscribed)

    async def close(self) -> None:
        """Safe to call twice."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        # Attributes of the untyped base class.
        pubsub: Any = self.__dict__.get("pubsub")
        redis: Any = self.__dict__.get("redis")
        self.__dict__.update(pubsub=None, redis=None)
        if pubsub is not None:
            await pubsub.aclose()
        if redis is not None:
            await redis.aclose()
        self.connected = False
