"""The websocket transport under engine.io, and how a refused connection is worded."""

from __future__ import annotations

import asyncio
from collections.abc import MutableSet
from dataclasses import dataclass
from typing import Any

import engineio
import socketio
from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket as _EngineIOWebSocket

__all__ = ["websocket_class", "refused", "Traffic", "LeanEngineIOServer"]


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
                # Bytes on the wire; an ASCII text frame (most are) has as many as characters.
                size = len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())
                traffic.count(size)
            return data

    return UncompressedWebSocket


class _Waiters(list[Any]):
    """A deque's ``popleft`` on a list, for asyncio's waiter queues.

    ``collections.deque()`` allocates a block of 64 slots up front (760 bytes); each
    socket's outbound queue had three of them that never hold more than one waiter.
    """

    __slots__ = ()

    def popleft(self) -> Any:
        return self.pop(0)


class _LeanQueue(asyncio.Queue[Any]):
    """engine.io's per-socket outbound queue, with its waiter deques as small lists.

    The packets themselves stay in asyncio's deque (a burst may queue many).
    """

    def __init__(self) -> None:
        super().__init__()
        self._getters: Any = _Waiters()  # the socket's one writer task
        self._putters: Any = _Waiters()  # always empty: the queue is unbounded
        finished: asyncio.Event = self._finished  # type: ignore[attr-defined]
        finished._waiters = _Waiters()  # type: ignore[assignment]  # close() may join


class LeanEngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
    """engine.io's server with a smaller queue per socket (``create_queue`` is its hook)."""

    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        if args or kwargs:
            return asyncio.Queue(*args, **kwargs)
        return _LeanQueue()


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A connect refusal the client reads as ``err.message`` and ``err.data.code``."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code})
