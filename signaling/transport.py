"""The websocket transport under engine.io, and how a refused connection is worded."""

from __future__ import annotations

import weakref
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket as _EngineIOWebSocket

__all__ = ["websocket_class", "refused"]


def websocket_class(open_sockets: weakref.WeakSet[web.WebSocketResponse]) -> type:
    """engine.io's aiohttp websocket, with permessage-deflate off and each socket tracked.

    Compression costs CPU on every relayed message and risks CRIME-style leaks; tracking
    lets the server end every websocket at once on shutdown instead of waiting for ping
    timeouts.
    """

    class UncompressedWebSocket(_EngineIOWebSocket):  # type: ignore[misc]
        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
            await self._sock.prepare(request)
            open_sockets.add(self._sock)
            self.environ = environ
            try:
                await self.handler(self)
            finally:
                open_sockets.discard(self._sock)
            return self._sock

    return UncompressedWebSocket


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal the client reads as ``err.message`` and ``err.data.code``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code})
