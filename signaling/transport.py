"""The socket.io endpoint on aiohttp: one request per websocket, through public API only.

``Transports`` serves the endpoint with python-socketio's public ``handle_request`` and
keeps, per open websocket request:

- **no compression**: the client's ``Sec-WebSocket-Extensions`` offer is taken off a
  clone of the request (``Request.clone``), so aiohttp never negotiates
  permessage-deflate: it costs CPU on every relayed message and risks CRIME-style leaks;
- **the connect deadline**: a transport that has not connected to the socket.io
  namespace within ``connect_timeout`` seconds (it may answer pings for ever) is closed,
  and so is one that left the namespace but kept the transport;
- **the list of open requests**, so shutdown ends every websocket at once instead of
  waiting for each client to time out (clients reconnect, to another node if any).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import socketio
from aiohttp import web
from multidict import CIMultiDict

__all__ = ["Transports", "refused"]

logger = logging.getLogger(__name__)

_PENDING = "vb.signaling.deadline"  # in the request's own mapping: the deadline's timer, or None


class Transports:
    def __init__(self, handle: Callable[[web.Request], Awaitable[web.StreamResponse]], connect_timeout: float) -> None:
        self._handle = handle
        self._timeout = connect_timeout
        self._open: dict[int, web.Request] = {}

    def attach(self, app: web.Application, path: str = "/socket.io/") -> None:
        app.router.add_get(path, self.handle)
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if "Sec-WebSocket-Extensions" in request.headers:  # browsers offer permessage-deflate
            headers = CIMultiDict(request.headers)
            headers.popall("Sec-WebSocket-Extensions")
            request = request.clone(headers=headers)
        key = id(request)
        self._open[key] = request
        self._start(request)
        try:
            return await self._handle(request)
        finally:
            self._stop(request)
            del self._open[key]

    @property
    def waiting_for_connect(self) -> int:
        """Open transports that have not connected to the namespace (yet, or any more)."""
        return sum(1 for r in self._open.values() if r.get(_PENDING) is not None)

    def connected(self, request: web.Request) -> None:
        """The transport's socket connected to the namespace: no deadline while it stays."""
        self._stop(request)

    def left(self, request: web.Request) -> None:
        """The socket left the namespace: a transport that stays gets the deadline again."""
        if id(request) in self._open and request.get(_PENDING) is None:
            self._start(request)

    def _start(self, request: web.Request) -> None:
        # A timer, not a task: one small handle per pending transport, none once connected.
        loop = asyncio.get_running_loop()
        request[_PENDING] = loop.call_later(self._timeout, self._deadline, request)

    def _stop(self, request: web.Request) -> None:
        handle = request.get(_PENDING)
        request[_PENDING] = None
        if handle is not None:
            handle.cancel()

    def _deadline(self, request: web.Request) -> None:
        request[_PENDING] = None
        if id(request) in self._open and request.transport is not None:
            logger.warning("closed an engine.io connection that never connected to socket.io")
            request.transport.abort()

    def close(self) -> None:
        """End every open websocket now; the clients reconnect."""
        for request in list(self._open.values()):
            self._stop(request)
            if request.transport is not None:
                request.transport.abort()


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal the client reads as ``err.message`` and ``err.data.code``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code})
