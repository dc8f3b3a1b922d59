"""How one emit reaches the sockets of a room on this node.

python-socketio's ``AsyncManager.emit`` starts one task per recipient and waits for them
all with ``asyncio.wait``, yet each send only puts a packet on that socket's unbounded
queue (engine.io's writer task does the I/O). On the relay path, where a room is the
other participant of a call, the task, its scheduling and ``asyncio.wait``'s futures
and callbacks cost more than the send. ``InlineManager`` sends in turn instead; a send
that fails (a socket closing meanwhile) is skipped, as a failed task was before.

Public API only: a client manager is the library's extension point (``client_manager``),
the packet is built with the server's ``packet_class``, and each frame goes out through
engine.io's public ``send_packet``.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

__all__ = ["InlineManager"]

logger = logging.getLogger(__name__)


class InlineManager(socketio.AsyncManager):  # type: ignore[misc]
    """The in-memory manager (one node); emits with an ack callback keep the library's path."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            args = list(data)  # a tuple is several arguments, anything else one
        else:
            args = [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in parts]
        for sid, eio_sid in self.get_participants(namespace, room):  # a copy: safe across awaits
            if sid in skip:
                continue
            for frame in frames:
                try:
                    await self.server.eio.send_packet(eio_sid, frame)
                except Exception:
                    logger.debug("an emit to one socket failed", exc_info=True)
                    break
