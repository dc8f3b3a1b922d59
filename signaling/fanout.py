"""Cross-node fan-out: python-socketio's Redis manager, with its listener owned and closed.

``AsyncRedisManager`` starts its pub/sub listener lazily on the first connection and
never stops it. ``RedisFanout.open()`` starts it at start-up and waits until the channel
is subscribed (so no emit from another node is missed after ``/healthz`` answers);
``close()`` cancels and awaits it and closes its Redis connections. Pub/sub drops
messages while a node is disconnected, which is why no state lives only in it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

__all__ = ["RedisFanout"]

logger = logging.getLogger(__name__)


class RedisFanout(socketio.AsyncRedisManager):  # type: ignore[misc]
    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url=url, channel=channel, logger=logger)
        self._listener: asyncio.Task[Any] | None = None

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
