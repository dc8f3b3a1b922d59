"""Baseline (b): a bare python-socketio relay on aiohttp, no business logic: the stack's floor.

Same settings as ours: websocket only, permessage-deflate off, ping 20 s / 20 s. Clients
join the room named in ``auth.room``; offer/answer/candidate go to the rest of the room.
Run: ``PORT=8090 python -m load_tests.baselines.bare_relay``.
"""

from __future__ import annotations

import os
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket as _EngineIOWebSocket


class _UncompressedWebSocket(_EngineIOWebSocket):  # type: ignore[misc]
    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def make_app() -> web.Application:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        transports=["websocket"],
        max_http_buffer_size=256 * 1024,
        ping_interval=20,
        ping_timeout=20,
    )
    sio.eio._async = {**sio.eio._async, "websocket": _UncompressedWebSocket}
    rooms: dict[str, str] = {}

    @sio.on("connect")  # type: ignore[misc]
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        room = str((auth or {}).get("room", "lobby"))
        rooms[sid] = room
        await sio.enter_room(sid, room)

    @sio.on("disconnect")  # type: ignore[misc]
    async def disconnect(sid: str, reason: Any = None) -> None:
        rooms.pop(sid, None)

    def relay(event: str) -> Any:
        async def handler(sid: str, data: Any = None) -> dict[str, Any]:
            await sio.emit(event, {**data, "from": sid}, room=rooms[sid], skip_sid=sid)
            return {"ok": True}

        return handler

    for event in ("offer", "answer", "candidate"):
        sio.on(event, relay(event))
    app = web.Application()
    sio.attach(app)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    import uvloop  # the same event loop as ``videoberatung serve``

    web.run_app(
        make_app(),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )
