"""Draining a node on SIGTERM: not ready any more, sockets sent elsewhere, then exit.

``begin_drain`` marks the node as draining (``/readyz`` answers 503), closes every
websocket at once (clients reconnect, through the load balancer, to another node), keeps
answering HTTP for ``Settings.drain_seconds`` so the load balancer notices, then stops
the server as aiohttp's own signal handling would. A second SIGTERM stops it at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from web.keys import DRAIN, SETTINGS, SIGNALING

__all__ = ["Drain", "begin_drain", "handle_sigterm"]

logger = logging.getLogger(__name__)


class Drain:
    """Whether this node is draining; read by ``/readyz``."""

    def __init__(self) -> None:
        self.draining = False
        self.task: asyncio.Task[None] | None = None


def _stop() -> None:
    raise GracefulExit()  # out of the event loop, as aiohttp's own signal handler does


async def begin_drain(app: web.Application) -> None:
    """Not ready any more, every websocket closed; returns once they are."""
    app[DRAIN].draining = True
    logger.info("draining: not ready, closing sockets")
    await app[SIGNALING].close()


async def _drain_then_stop(app: web.Application) -> None:
    await begin_drain(app)
    await asyncio.sleep(app[SETTINGS].drain_seconds)
    asyncio.get_running_loop().call_soon(_stop)


async def handle_sigterm(app: web.Application) -> None:
    """A start-up hook of ``serve``: SIGTERM drains (tests build apps without it)."""
    loop = asyncio.get_running_loop()
    drain = app[DRAIN]

    def on_sigterm() -> None:
        if drain.task is not None:
            _stop()  # the second SIGTERM: stop now
        drain.task = asyncio.ensure_future(_drain_then_stop(app))

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
