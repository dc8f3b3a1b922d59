"""The socket.io server's front door: which event names a client may send, how often,
and how long a transport may stay without a socket.io CONNECT.

python-socketio dispatches a client-sent event by its name alone, so a page that sends
an ordinary event named ``disconnect`` ran the disconnect handler (the caseworker saw it
leave while its socket stayed in the call room), and ``connect`` ran the connect handler.
``GuardedServer`` checks every EVENT packet before dispatch: reserved and unknown names
are refused with no side effect, known ones pass the per-socket rate limit. Presence
changes only through the transport (CONNECT/DISCONNECT packets, a closed websocket).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import socketio
from socketio import packet

from signaling.delivery import InlineManager
from signaling.rate_limit import SocketRateLimit, Verdict
from signaling.transport import LeanEngineIOServer

__all__ = ["RESERVED", "GuardedServer"]

logger = logging.getLogger(__name__)

# Names the library or the protocol uses for itself; never dispatched from a client.
RESERVED = frozenset({"connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener", "*"})


def _reply(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


_UNKNOWN = _reply("unknown_event", "Unknown event.")


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    """An ``AsyncServer`` that dispatches only ``allowed`` event names, rate-limited per
    socket, and closes a transport that has not connected to a namespace in time."""

    def __init__(
        self,
        *,
        allowed: Iterable[str] = (),
        connect_timeout: float,
        on_refused: Callable[[str], None] = lambda code: None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("client_manager") is None:  # one node: rooms in memory
            kwargs["client_manager"] = InlineManager()
        super().__init__(**kwargs)
        self._on_refused = on_refused  # told the error code of every event refused here
        self._allowed = frozenset(allowed) - RESERVED
        self._connect_timeout = connect_timeout
        # One timer per transport that has not connected to the namespace yet.
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.rate_limit = SocketRateLimit()

    def _engineio_server_class(self) -> type:
        return LeanEngineIOServer

    def allow(self, event: str) -> None:
        """Let clients send ``event`` (its handler is registered with ``on``)."""
        if event in RESERVED:
            raise ValueError(f"{event!r} is reserved")
        self._allowed |= {event}

    def on(self, event: str, handler: Any = None, namespace: str | None = None) -> Any:
        """Register a handler; an ordinary event name becomes one clients may send."""
        if event not in RESERVED:
            self.allow(event)
        return super().on(event, handler, namespace)

    # -------------------------------------------------------------- events

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        name = data[0] if isinstance(data, list) and data and isinstance(data[0], str) else None
        if name is None or name in RESERVED or name not in self._allowed:
            reserved = name in RESERVED
            logger.warning("refused a client event: %s", "reserved name" if reserved else "unknown name")
            code, message = (
                ("reserved_event", "Reserved event name.") if reserved else ("unknown_event", "Unknown event.")
            )
            self._on_refused(code)
            await self._ack(eio_sid, namespace, id, _reply(code, message))
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        if sid is None:
            return  # an event before CONNECT: nobody to deliver it for
        verdict = self.rate_limit.check(sid, name)
        if verdict == Verdict.REFUSE:
            self._on_refused("rate_limited")
            await self._ack(eio_sid, namespace, id, _reply("rate_limited", "Too many events; slow down."))
            return
        if verdict == Verdict.DISCONNECT:
            logger.warning("disconnecting a socket that kept flooding %s events", name)
            self._on_refused("flooding")
            self._abort(eio_sid)
            return
        await super()._handle_event(eio_sid, namespace, id, data)

    def _abort(self, eio_sid: str) -> None:
        """Drop the connection at once: engine.io's CLOSE packet waits for a client that
        may simply ignore it. The transport's end runs the usual disconnect path."""
        request = self.environ.get(eio_sid, {}).get("aiohttp.request")
        transport = request.transport if request is not None else None
        if transport is not None:
            transport.abort()
            return
        task = asyncio.ensure_future(self.eio.disconnect(eio_sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ack(self, eio_sid: str, namespace: str | None, id: int | None, reply: dict[str, Any]) -> None:
        if id is not None:
            await self._send_packet(
                eio_sid, self.packet_class(packet.ACK, namespace=namespace or "/", id=id, data=[reply])
            )

    async def _handle_disconnect(self, eio_sid: str, namespace: str | None, reason: Any = None) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        await super()._handle_disconnect(eio_sid, namespace, reason)
        if sid is not None:
            self.rate_limit.forget(sid)
        if eio_sid in self.environ and eio_sid not in self._deadlines:
            # Left the namespace but kept the transport: it gets the same deadline again.
            self._start_deadline(eio_sid)

    # -------------------------------------------------------------- connect deadline

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        result = await super()._handle_eio_connect(eio_sid, environ)
        self._start_deadline(eio_sid)
        return result

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is None:
            return  # refused: the deadline still runs
        self._stop_deadline(eio_sid)
        environ = self.environ.get(eio_sid)
        if environ is not None:
            # The connect handler has read what it needs. The WSGI-style copy of the
            # request's headers would otherwise stay for the socket's life (shared by
            # engine.io's suspended frames): keep only the request, for ``_abort``.
            request = environ.get("aiohttp.request")
            environ.clear()
            environ["aiohttp.request"] = request

    def _start_deadline(self, eio_sid: str) -> None:
        # A timer, not a task: one small handle per pending transport, none once connected.
        loop = asyncio.get_running_loop()
        self._deadlines[eio_sid] = loop.call_later(self._connect_timeout, self._deadline, eio_sid)

    def _stop_deadline(self, eio_sid: str) -> None:
        handle = self._deadlines.pop(eio_sid, None)
        if handle is not None:
            handle.cancel()

    def _deadline(self, eio_sid: str) -> None:
        # A transport that answers pings but never sends the socket.io CONNECT holds a
        # file descriptor and memory for nothing: close it.
        self._deadlines.pop(eio_sid, None)
        if eio_sid in self.environ and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            logger.warning("closed an engine.io connection that never connected to socket.io")
            self._abort(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self._stop_deadline(eio_sid)  # after: leaving the namespaces may start one

    async def shutdown(self) -> None:
        for handle in self._deadlines.values():
            handle.cancel()
        self._deadlines.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().shutdown()
