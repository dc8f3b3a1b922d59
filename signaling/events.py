"""The one adapter between the signalling edge and python-socketio's dispatch.

Everything else in ``signaling/`` uses the libraries' public API. This module relies on
two behaviours of python-socketio 5.x that are public in form but not documented as a
contract (pinned in pyproject.toml; ``tests/test_library_hooks.py`` fails when they
change):

- **Reserved names.** python-socketio dispatches a client-sent event by its name alone,
  through the namespace's public ``trigger_event``, the same door its own CONNECT and
  DISCONNECT handling uses: a page that sent an ordinary event named ``disconnect`` ran
  the disconnect handler (the caseworker saw it leave while its socket stayed in the call
  room). The library calls ``connect`` while the socket is *pending* (``pre_connect``)
  and ``disconnect`` while it is *leaving* (``pre_disconnect``); a client event is only
  dispatched for a socket that is fully connected (``manager.is_connected``). So a
  ``connect``/``disconnect`` for a connected socket came from the client and is refused,
  as is every other reserved or unknown name; known names pass the per-socket rate limit.
- **Traffic.** What the node's websockets receive is counted by wrapping the engine.io
  ``message`` handler python-socketio registers (``eio.handlers``, set through the public
  ``eio.on``): the server's own evidence that media and photos never cross it. The same
  wrapper answers an event packet without a name (``2[]``), which python-socketio
  cannot dispatch (it reads ``data[0]`` before any hook), and closes the connection of a
  frame the library cannot decode, without the traceback engine.io would log. Event
  handlers run in tasks of their own (``async_handlers``), so what fails inside the
  message handler is the library's decoding (``_malformed``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import engineio
import socketio
from aiohttp import web
from socketio.packet import ACK, CONNECT, DISCONNECT, Packet

from signaling.rate_limit import QuietLog, SocketRateLimit, Verdict

__all__ = ["RESERVED", "GuardedNamespace", "Traffic", "count_inbound", "nameless_event"]

logger = logging.getLogger(__name__)

# Names the library or the protocol uses for itself; never dispatched from a client.
RESERVED = frozenset({"connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener", "*"})


def _reply(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """A namespace that dispatches to clients only the event names in ``events``,
    rate-limited per socket; its ``connect`` and ``disconnect`` only from the library.

    ``trigger_event`` is python-socketio's documented hook for a namespace that does its
    own dispatching; ``events`` maps each name to its handler (``connect`` and
    ``disconnect`` included), as ``on_<name>`` methods would, for names with dots.
    """

    def __init__(
        self,
        events: Mapping[str, Callable[..., Awaitable[Any]]],
        namespace: str = "/",
        *,
        on_refused: Callable[[str], None] = lambda code: None,
        owner: Callable[[str], str] = lambda sid: sid,
    ) -> None:
        super().__init__(namespace)
        self._events = dict(events)
        self.on_refused = on_refused  # told the error code of every event refused here
        self._allowed = frozenset(self._events) - RESERVED
        self.rate_limit = SocketRateLimit(key=owner)
        self.quiet = QuietLog(logger)

    def _from_library(self, event: str, args: tuple[Any, ...]) -> bool:
        """A ``connect`` or ``disconnect`` the library itself dispatches (see the module)."""
        if event not in ("connect", "disconnect") or not args:
            return False
        if self.server.manager.is_connected(args[0], self.namespace):
            return False  # a connected socket: the client sent this name
        if event == "connect":  # the real one carries the environ with the aiohttp request
            environ = args[1] if len(args) > 1 else None
            return isinstance(environ, dict) and isinstance(environ.get("aiohttp.request"), web.Request)
        return True

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        if isinstance(event, str) and self._from_library(event, args):
            try:
                return await self._events[event](*args)
            finally:
                if event == "disconnect":
                    self.rate_limit.forget(args[0])
        sid = args[0]
        if not isinstance(event, str) or event in RESERVED or event not in self._allowed:
            reserved = isinstance(event, str) and event in RESERVED
            self.quiet.warning("refused client events: " + ("reserved name" if reserved else "unknown name"))
            code = "reserved_event" if reserved else "unknown_event"
            return await self.refuse(sid, code, "Reserved event name." if reserved else "Unknown event.")
        if len(args) > 2:  # python-socketio passes every further argument on
            self.quiet.warning("refused client events: more than one argument")
            return await self.refuse(sid, "bad_payload", "One argument per event.")
        verdict = self.rate_limit.check(sid, event)
        if verdict == Verdict.REFUSE:
            self.on_refused("rate_limited")
            return _reply("rate_limited", "Too many events; slow down.")
        if verdict == Verdict.DISCONNECT:
            await self.drop(sid)
            return None
        return await self._events[event](*args)

    async def refuse(self, sid: str, code: str, message: str) -> dict[str, Any] | None:
        """Refuse an event of ``sid``: it costs a strike, and the last strike drops the socket."""
        if self.rate_limit.strike(sid) == Verdict.DISCONNECT:
            await self.drop(sid)
            return None
        self.on_refused(code)
        return _reply(code, message)

    async def drop(self, sid: str) -> None:
        """Disconnect a socket that kept sending refused events."""
        self.quiet.warning("disconnected a socket that kept sending refused events")
        self.on_refused("flooding")
        await self.abort(sid)

    async def abort(self, sid: str) -> None:
        """Drop the connection at once: engine.io's CLOSE packet waits for a client that
        may simply ignore it. The transport's end runs the usual disconnect path."""
        try:
            environ = self.server.get_environ(sid, self.namespace) or {}
        except KeyError:
            environ = {}
        request = environ.get("aiohttp.request")
        transport = request.transport if request is not None else None
        if transport is not None:
            transport.abort()
        else:
            await self.disconnect(sid)


class Traffic:
    """What this node's websockets received from clients: messages, bytes, the largest.

    The server's own evidence of what crosses it: photos and media go peer to peer, so
    no message is larger than an SDP (64 KiB) plus framing.
    """

    __slots__ = ("messages", "bytes", "largest")

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.largest = 0

    def count(self, data: str | bytes) -> None:
        # Bytes on the wire; an ASCII text message (most are) has as many as characters.
        size = len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())
        self.messages += 1
        self.bytes += size
        self.largest = max(self.largest, size)


_DIGITS = frozenset("0123456789")


def nameless_event(data: str | bytes) -> tuple[str, int | None] | None:
    """(namespace, ack id) of a socket.io EVENT packet whose payload is not a non-empty
    list (``2[]``, ``2{}``, ``2"x"``), else None. python-socketio reads the event name as
    ``data[0]`` before any hook runs and fails on these; a glance at the packet's first
    characters, no JSON decoding, so the relay path pays nothing for it."""
    if not isinstance(data, str) or not data or data[0] not in "25":
        return None
    at = 1
    if data[0] == "5":  # a binary event: the attachment count and a dash come first
        at = data.find("-", 1) + 1
        if at == 0:
            return None
    namespace = "/"
    if data.startswith("/", at):
        comma = data.find(",", at)
        if comma < 0:
            return None
        namespace, at = data[at:comma], comma + 1
    end = at
    while end < len(data) and data[end] in _DIGITS:
        end += 1
    ack = int(data[at:end]) if end > at else None
    rest = data[end:].lstrip()
    if rest[:1] == "[" and rest[1:].lstrip()[:1] != "]":
        return None  # a list with something in it: the library and trigger_event judge it
    return namespace, ack


def _malformed(data: str | bytes, exc: Exception) -> bool:
    """Whether ``exc`` came from a frame the library cannot read, not from a bug of ours.

    Event handlers run in tasks of their own (``trigger_event``); what runs inside the
    message handler is the library's decoding and dispatch, and only for CONNECT and
    DISCONNECT packets our own handlers too.
    """
    if isinstance(exc, RecursionError | UnicodeError):
        return True
    try:
        packet = Packet(encoded_packet=data)
    except Exception:
        return True  # it does not even decode
    if packet.packet_type not in (CONNECT, DISCONNECT):
        return True
    # What python-socketio raises for packets a client must not send (``_handle_eio_message``).
    return isinstance(exc, ValueError) and str(exc).startswith(("Unexpected", "Unknown packet"))


def count_inbound(eio: engineio.AsyncServer, traffic: Traffic, guard: GuardedNamespace) -> None:
    """Count every engine.io message the clients send, then hand it on as before.

    An event without a name is refused here (``nameless_event``), at a strike's cost; a
    frame the library cannot decode closes its connection, with one quiet log line and no
    traceback (engine.io would log one, and the client learns nothing from it).
    """
    handler = eio.handlers["message"]

    async def counted(eio_sid: str, data: str | bytes) -> Any:
        traffic.count(data)
        nameless = nameless_event(data)
        if nameless is None:
            try:
                return await handler(eio_sid, data)
            except Exception as exc:
                if not _malformed(data, exc):
                    raise
                guard.quiet.warning(f"closed a connection after a malformed frame ({type(exc).__name__})")
                guard.on_refused("bad_payload")
                await eio.disconnect(eio_sid)
                return None
        namespace, ack = nameless
        guard.quiet.warning("refused client events: no event name")
        sid = guard.server.manager.sid_from_eio_sid(eio_sid, namespace)
        reply = await guard.refuse(sid, "unknown_event", "Unknown event.") if sid else None
        if ack is not None and reply is not None:
            await eio.send(eio_sid, Packet(ACK, namespace=namespace, id=ack, data=[reply]).encode())
        return None

    eio.on("message", counted)
