"""A socket.io test client that records every event into queues to wait on."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import socketio
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import cookie_header


class Peer:
    """A real ``socketio.AsyncClient`` whose received events can be awaited one by one."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = {}
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.setdefault(event, asyncio.Queue()).put_nowait(data)

    async def connect(self, server: TestServer, browser: TestClient, auth: dict[str, Any]) -> None:
        await self.sio.connect(
            str(server.make_url("/")),
            headers={"Cookie": cookie_header(browser)},
            auth=auth,
            transports=["websocket"],
            wait_timeout=15,
        )

    async def next(self, event: str, timeout: float = 5) -> Any:
        queue = self.events.setdefault(event, asyncio.Queue())
        return await asyncio.wait_for(queue.get(), timeout)

    def pending(self, event: str) -> int:
        return self.events.get(event, asyncio.Queue()).qsize()

    async def call(self, event: str, data: Any = None, timeout: float = 5) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def close(self) -> None:
        await self.sio.disconnect()


def instance() -> str:
    return secrets.token_urlsafe(12)
