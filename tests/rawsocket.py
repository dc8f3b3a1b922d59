"""A socket.io client made of raw engine.io frames over a websocket, as an attacker sends them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer


class RawSocket:
    """Speaks engine.io v4 / socket.io v5 text frames by hand; answers pings."""

    def __init__(self) -> None:
        self.session = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.events: list[list[Any]] = []
        self.acks: dict[int, list[Any]] = {}
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def open(self, server: TestServer, cookie: str = "") -> str:
        """Open the websocket; return the engine.io OPEN packet's text."""
        url = server.make_url("/socket.io/").with_query({"EIO": "4", "transport": "websocket"})
        self.ws = await self.session.ws_connect(url, headers={"Cookie": cookie} if cookie else {})
        first = await self.ws.receive(timeout=5)
        assert first.type == aiohttp.WSMsgType.TEXT and first.data.startswith("0"), first
        self._reader = asyncio.ensure_future(self._read())
        return str(first.data)

    async def connect(self, auth: dict[str, Any]) -> None:
        await self.send("40" + json.dumps(auth))
        await self.wait(lambda: any(e[0] == "\0connected" for e in self.events))

    async def send(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(text)

    async def wait(self, condition: Any, timeout: float = 10) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: condition() or self.closed.is_set())

        await asyncio.wait_for(until(), timeout)
        assert condition(), "the connection closed first"

    async def ack(self, ack_id: int, timeout: float = 10) -> Any:
        await self.wait(lambda: ack_id in self.acks, timeout)
        return self.acks[ack_id][0] if self.acks[ack_id] else None

    def received(self, event: str) -> list[Any]:
        return [e[1] if len(e) > 1 else None for e in self.events if e[0] == event]

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                text = str(msg.data)
                if text == "2":
                    await self.ws.send_str("3")
                elif text == "1":  # engine.io CLOSE: the server ended the connection
                    break
                elif text.startswith("40"):
                    self.events.append(["\0connected", json.loads(text[2:] or "null")])
                elif text.startswith("44"):
                    self.events.append(["\0connect_error", json.loads(text[2:] or "null")])
                elif text.startswith("42"):
                    self.events.append(json.loads(text[2:]))
                elif text.startswith("43"):
                    body = text[2:]
                    split = body.index("[")
                    self.acks[int(body[:split])] = json.loads(body[split:])
                async with self._changed:
                    self._changed.notify_all()
        finally:
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.session.close()
