"""What this project relies on in python-socketio and python-engineio beyond their
documented API, checked.

``signaling/events.py`` (the one adapter of the socket edge) relies on when the library
dispatches ``connect`` and ``disconnect`` through a namespace's ``trigger_event`` and on
engine.io's handler table; ``signaling/fanout.py`` overrides private methods of
``AsyncRedisManager``; ``signaling/delivery.py`` replaces ``AsyncManager.emit`` with
public calls. pyproject.toml pins both libraries; before raising a pin, this test must
pass on the new version: it fails when one of these moved or changed.
"""

from __future__ import annotations

import inspect

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from signaling.fanout import RedisFanout


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


def test_namespace_dispatch_that_the_guard_relies_on() -> None:
    """``GuardedNamespace.trigger_event`` tells the library's own ``connect``/``disconnect``
    from a client event of the same name by ``manager.is_connected``: the library calls
    ``connect`` while the socket is pre-connected and ``disconnect`` after
    ``pre_disconnect``, and dispatches a client event only for a connected socket."""
    from socketio.base_manager import BaseManager

    base = socketio.AsyncServer
    connect = inspect.getsource(base._handle_connect)
    assert connect.index("self.manager.pre_connect(") < connect.index(
        "self._trigger_event(\n                    'connect'"
    )
    assert "self.environ[eio_sid], data)" in connect  # the environ, with the aiohttp request
    assert connect.index("self._trigger_event(") < connect.rindex("await self.manager.connect(sid, namespace)")
    disconnect = inspect.getsource(base._handle_disconnect)
    assert disconnect.index("self.manager.pre_disconnect(") < disconnect.index("self._trigger_event('disconnect'")
    event = inspect.getsource(base._handle_event)
    assert "if not self.manager.is_connected(sid, namespace):" in event
    # It reads the name before any hook: count_inbound answers nameless events itself.
    assert event.index("data[0]") < event.index("self.manager.is_connected(")
    assert "server._trigger_event(data[0], namespace, sid, *data[1:])" in inspect.getsource(base._handle_event_internal)
    # A namespace object gets every event of its namespace through trigger_event.
    assert "return await handler.trigger_event(event, *args)" in inspect.getsource(base._trigger_event)
    pending = inspect.getsource(BaseManager.is_connected)
    assert "pending_connect" in pending and "pending_disconnect" in pending
    assert _params(socketio.AsyncNamespace.trigger_event) == ["self", "event", "args"]


def test_engineio_message_handler_that_traffic_wraps() -> None:
    """``count_inbound`` wraps the engine.io ``message`` handler python-socketio registers
    with the public ``eio.on``; it reads it back from ``eio.handlers``."""
    from signaling.events import Traffic, count_inbound

    server = socketio.AsyncServer(async_mode="aiohttp")
    registered = server.eio.handlers["message"]
    assert getattr(registered, "__self__", None) is server  # socket.io's own, a bound method
    count_inbound(server.eio, Traffic(), lambda code: None)
    assert server.eio.handlers["message"] is not registered
    assert _params(server.eio.on) == ["event", "handler"]


def test_manager_emit_that_inline_manager_replaces() -> None:
    """``signaling/delivery.py`` replaces ``AsyncManager.emit`` for emits without a callback,
    with the same packets, sent through engine.io's public ``send_packet``."""
    import engineio
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
    ):
        assert part in emit, part
    assert _params(engineio.AsyncServer.send_packet) == ["self", "sid", "pkt"]
    assert issubclass(InlineManager, AsyncManager)


def test_the_socket_edge_overrides_no_private_method() -> None:
    """Issue 23: no private method of the libraries is overridden by the socket edge."""
    from signaling.events import GuardedNamespace

    for name in GuardedNamespace.__dict__:
        assert not (name.startswith("_") and not name.startswith("__")) or name == "_from_library", name
    import signaling

    root = __import__("pathlib").Path(signaling.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text()
        for private in ("_send_eio_packet", "eio._async", "_getters", "_putters", "_handle_event(", "_handle_connect("):
            assert private not in text, (path.name, private)


def test_what_the_malformed_frame_guard_relies_on() -> None:
    """``signaling.events._malformed``: inside the engine.io message handler only the
    library's decoding and dispatch run (event handlers in tasks of their own), and the
    library refuses client packets it must not get with these ValueErrors."""
    message = inspect.getsource(socketio.AsyncServer._handle_eio_message)
    for text in ("Unexpected binary packet", "Unexpected CONNECT_ERROR packet", "Unknown packet type"):
        assert text in message, text
    assert "self.start_background_task(\n                self._handle_event_internal" in inspect.getsource(
        socketio.AsyncServer._handle_event  # noqa: SLF001
    )
    assert socketio.AsyncServer(async_mode="aiohttp").async_handlers
