"""The private python-socketio and python-engineio hooks this project relies on, checked.

``signaling/fanout.py`` overrides private methods of ``AsyncRedisManager``,
``signaling/server.py`` replaces the websocket class in ``sio.eio._async``
(``signaling/transport.py``), ``signaling/events.py`` overrides private ``AsyncServer``
methods and engine.io's queue, ``signaling/delivery.py`` replaces ``AsyncManager.emit``.
pyproject.toml bounds both libraries; before raising a bound, this test must pass on
the new version: it fails when a hook moved or changed.
"""

from __future__ import annotations

import inspect
import weakref

import socketio
from engineio.async_drivers import aiohttp as engineio_aiohttp
from socketio.async_pubsub_manager import AsyncPubSubManager

from signaling.fanout import RedisFanout
from signaling.transport import websocket_class


def _params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def test_redis_manager_hooks_are_where_fanout_overrides_them() -> None:
    base = socketio.AsyncRedisManager
    # Overridden: same names, same parameters.
    assert _params(base._redis_connect) == ["self"]
    assert _params(base._redis_listen_with_retries) == ["self"]
    assert _params(base.initialize) == ["self"]
    assert inspect.isasyncgenfunction(base._redis_listen_with_retries)
    # The listener reads our generator, and initialize stores the task where we take it.
    assert "self._redis_listen_with_retries()" in inspect.getsource(base._listen)
    assert "self.thread = self.server.start_background_task(self._thread)" in inspect.getsource(
        AsyncPubSubManager.initialize
    )
    # _publish reconnects through _redis_connect after a failure, using these attributes.
    publish = inspect.getsource(base._publish)
    assert "self._redis_connect()" in publish and "self.redis.publish(" in publish
    assert "self.connected" in publish
    for name in ("redis_url", "channel", "redis_options"):
        assert name in inspect.getsource(base.__init__)
    assert issubclass(RedisFanout, base)


def test_engineio_websocket_hook() -> None:
    server = socketio.AsyncServer(async_mode="aiohttp")
    # The transport table the server patches, and the class it replaces.
    assert isinstance(server.eio._async, dict)
    assert server.eio._async["websocket"] is engineio_aiohttp.WebSocket
    assert _params(engineio_aiohttp.WebSocket.__init__) == ["self", "handler", "server"]
    assert _params(engineio_aiohttp.WebSocket.__call__) == ["self", "environ"]
    body = inspect.getsource(engineio_aiohttp.WebSocket.__call__)
    # Our copy of __call__ sets the same attributes the rest of the class reads.
    for attr in ("self._sock", "self.environ", "self.handler(self)", "max_http_buffer_size"):
        assert attr in body, attr
    for method in ("close", "send", "wait"):
        assert attr_reads_sock(getattr(engineio_aiohttp.WebSocket, method)), method
    assert issubclass(websocket_class(weakref.WeakSet()), engineio_aiohttp.WebSocket)


def attr_reads_sock(method: object) -> bool:
    return "self._sock" in inspect.getsource(method)  # type: ignore[arg-type]


def test_async_server_hooks_are_where_guarded_server_overrides_them() -> None:
    """``signaling/events.py`` (``GuardedServer``) overrides these private methods of
    ``socketio.AsyncServer`` to refuse reserved and unknown event names before dispatch,
    rate-limit events and close transports that never send CONNECT."""
    from signaling.events import GuardedServer

    base = socketio.AsyncServer
    assert _params(base._handle_event) == ["self", "eio_sid", "namespace", "id", "data"]
    assert _params(base._handle_disconnect) == ["self", "eio_sid", "namespace", "reason"]
    assert _params(base._handle_eio_connect) == ["self", "eio_sid", "environ"]
    assert _params(base._handle_eio_disconnect) == ["self", "eio_sid", "reason"]
    assert _params(base._send_packet) == ["self", "eio_sid", "pkt"]
    # Every EVENT packet reaches _handle_event, and it dispatches by the name alone.
    assert "self._handle_event(" in inspect.getsource(base._handle_eio_message)
    assert "self.manager.sid_from_eio_sid(" in inspect.getsource(base._handle_event)
    # The connect deadline reads these attributes.
    assert "self.environ[eio_sid] = environ" in inspect.getsource(base._handle_eio_connect)
    for name in ("_handle_event", "_handle_disconnect", "_handle_eio_connect", "_handle_eio_disconnect"):
        assert name in GuardedServer.__dict__, name


def test_hooks_that_trim_each_idle_socket() -> None:
    """What ``GuardedServer`` and ``signaling/transport.py`` rely on to hold less per socket:
    the environ is emptied after CONNECT, engine.io's queue comes from ``create_queue``,
    and ``wait`` is engine.io's own, copied."""
    import asyncio

    import engineio
    from engineio.async_server import AsyncServer as EngineServer
    from engineio.base_socket import BaseSocket

    from signaling.events import GuardedServer
    from signaling.transport import LeanEngineIOServer

    base = socketio.AsyncServer
    assert _params(base._handle_connect) == ["self", "eio_sid", "namespace", "data"]
    assert "self.environ[eio_sid]" in inspect.getsource(base._handle_connect)
    assert "_handle_connect" in GuardedServer.__dict__
    # A websocket request's environ is not read after the socket's handler returns.
    handle = inspect.getsource(EngineServer.handle_request)
    assert "if not isinstance(r, dict):\n            return r" in handle
    # The engine.io server class and its queue hook.
    assert "return engineio.AsyncServer" in inspect.getsource(base._engineio_server_class)
    assert "self.queue = self.server.create_queue()" in inspect.getsource(BaseSocket.__init__)
    assert issubclass(LeanEngineIOServer, engineio.AsyncServer)
    # asyncio.Queue's waiters are used as deques through append/remove/popleft only.
    queue = inspect.getsource(asyncio.Queue)
    for name in ("self._getters = collections.deque()", "self._putters = collections.deque()", "popleft()"):
        assert name in queue, name
    assert "self._waiters = collections.deque()" in inspect.getsource(asyncio.Event.__init__)
    # Our wait() is engine.io's, with the traffic count added.
    assert "msg = await self._sock.receive()" in inspect.getsource(engineio_aiohttp.WebSocket.wait)


def test_manager_emit_that_inline_manager_copies() -> None:
    """``signaling/delivery.py`` replaces ``AsyncManager.emit`` for emits without a callback."""
    from socketio.async_manager import AsyncManager

    from signaling.delivery import InlineManager

    assert _params(AsyncManager.emit) == [
        "self",
        "event",
        "data",
        "namespace",
        "room",
        "skip_sid",
        "callback",
        "to",
        "kwargs",
    ]
    emit = inspect.getsource(AsyncManager.emit)
    for part in (
        "self.server.packet_class(",
        "packet.EVENT, namespace=namespace, data=[event] + data)",
        "eio_packet.Packet(eio_packet.MESSAGE, p)",
        "self.get_participants(namespace, room)",
        "self.server._send_eio_packet(eio_sid, p)",
    ):
        assert part in emit, part
    assert "participants = ns[room]._fwdm.copy()" in inspect.getsource(AsyncManager.get_participants)
    assert issubclass(InlineManager, AsyncManager)
