"""The websocket transport under engine.io, and how a refused connection is worded."""

from __future__ import annotations

from collections.abc import MutableSet
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket as _EngineIOWebSocket

__all__ = ["websocket_class", "refused", "Traffic"]


@dataclass
class Traffic:
    """What this node's websockets received from clients: messages, bytes, the largest.

    The server's own evidence of what crosses it: photos and media go peer to peer, so
    no message is larger than an SDP (64 KiB) plus framing.
    """

    messages: int = 0
    bytes: int = 0
    largest: int = 0

    def count(self, size: int) -> None:
        self.messages += 1
        self.bytes += size
        self.largest = max(self.largest, size)


def websocket_class(open_sockets: MutableSet[web.WebSocketResponse], traffic: Traffic | None = None) -> type:
    """engine.io's aiohttp websocket, with permessage-deflate off and each socket tracked.

    Compression costs CPU on every relayed message and risks CRIME-style leaks; tracking
    lets the server end every websocket at once on shutdown instead of waiting for ping
    timeouts. ``open_sockets`` holds each websocket while its handler runs (a plain set:
    a weak one costs a weak reference per socket for nothing, the handler's ``finally``
    removes it). Inbound messages are counted in ``traffic`` when given.
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

        async def wait(self) -> str | bytes:
            # engine.io's own ``wait``, not called through ``super()``: every idle socket
            # keeps one suspended ``wait`` frame, not two.
            msg = await self._sock.receive()
            data = msg.data
            if not isinstance(data, bytes | str):
                raise OSError()
            if traffic is not None:
                traffic.count(len(data.encode()) if isinstance(data, str) else len(data))
            return data

    return UncompressedWebSocket


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal the client reads as ``err.message`` and ``err.data.code``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code})
