"""Real ``videoberatung serve`` processes sharing one database and one Redis, and clients for them."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
from typing import Any

import aiohttp
import socketio

from web.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Node:
    """One server process; ``start()`` returns once it serves (its Redis listener is subscribed)."""

    def __init__(self, name: str, settings: Settings, redis_url: str, prefix: str) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []  # the process's log lines, for failure messages
        self.env = {
            **os.environ,
            "INSTANCE_PATH": str(settings.instance_path),  # shared: one signing key
            "DATABASE_URL": settings.database_url,
            "DATABASE_SCHEMA": settings.database_schema or "",
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": prefix,
            "PRESENCE_TTL_SECONDS": str(settings.presence_ttl_seconds),
            "REJOIN_GRACE_SECONDS": str(settings.rejoin_grace_seconds),
            "PURGE_INTERVAL_SECONDS": "0",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        self.proc: asyncio.subprocess.Process | None = None
        self._output: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 30) -> None:
        """Start the process; return when it logs that it serves (after its start-up hooks)."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "web.cli",
            "serve",
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        serving = asyncio.Event()
        self._output = asyncio.create_task(self._copy_output(serving))
        ended = asyncio.create_task(self.proc.wait())
        ready = asyncio.create_task(serving.wait())
        try:
            done, _ = await asyncio.wait({ended, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            ready.cancel()
        if ready not in done:
            state = "exited" if ended in done else "did not start serving"
            raise RuntimeError(f"node {self.name} {state}: {''.join(self.output)[-2000:]}")

    async def _copy_output(self, serving: asyncio.Event) -> None:
        """Keep the process's log lines; flag the line that says it serves."""
        assert self.proc is not None and self.proc.stdout is not None
        async for line in self.proc.stdout:
            self.output.append(line.decode(errors="replace"))
            if b"serving on http://" in line:
                serving.set()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    async def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._output is not None:
            await asyncio.gather(self._output, return_exceptions=True)


class RedisServer:
    """A private ``redis-server`` without persistence, as in production; it may be killed and started again.

    It publishes keyspace notifications (``__keyspace@0__:<key>``) for every write.
    """

    def __init__(self, directory: str) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.proc: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._drain: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 10) -> None:
        """Start on the same port as before; return when it logs that it accepts connections."""
        self.proc = await asyncio.create_subprocess_exec(
            *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", self.directory),
            # Keyspace notifications, so a test can wait for the nodes' writes instead of polling.
            *("--notify-keyspace-events", "KA"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            async for line in self.proc.stdout:
                self.output.append(line.decode(errors="replace"))
                if b"Ready to accept connections" in line:
                    break
            else:
                raise RuntimeError(f"redis-server exited: {''.join(self.output)[-2000:]}")
        # Nobody reads its log from here on; discard it so the pipe never fills.
        self._drain = asyncio.create_task(self._discard(self.proc.stdout))

    @staticmethod
    async def _discard(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass

    async def kill(self) -> None:
        """What a crash or a restart does to a Redis without persistence: everything is gone."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._drain is not None:
            await self._drain


class Browser:
    """An HTTP user agent with its own cookie jar, talking to one node."""

    def __init__(self, base_url: str) -> None:
        self.session = aiohttp.ClientSession(base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True))

    def get(self, path: str, **kw: Any) -> Any:
        return self.session.get(path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.session.post(path, **kw)

    def cookie(self) -> str:
        return "; ".join(f"{c.key}={c.value}" for c in self.session.cookie_jar)

    async def close(self) -> None:
        await self.session.close()


class Client:
    """A real ``socketio.AsyncClient`` that records events, and can move to another node."""

    def __init__(self, cookie: str, auth: dict[str, Any]) -> None:
        self.cookie = cookie
        self.auth = auth
        self.sio = self._new()

    def _new(self) -> socketio.AsyncClient:
        self.events: dict[str, asyncio.Queue[Any]] = {}
        self.dropped = asyncio.Event()
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("*", self._record)
        sio.on("disconnect", self._on_disconnect)
        return sio

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.setdefault(event, asyncio.Queue()).put_nowait(data)

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.dropped.set()

    async def connect(self, url: str) -> None:
        await self.sio.connect(
            url, headers={"Cookie": self.cookie}, auth=self.auth, transports=["websocket"], wait_timeout=10
        )

    async def reconnect(self, url: str) -> None:
        """What a load balancer does after a node died: the same page, routed to ``url``."""
        await self.sio.disconnect()
        self.sio = self._new()
        await self.connect(url)

    async def next(self, event: str, timeout: float = 10) -> Any:
        queue = self.events.setdefault(event, asyncio.Queue())
        return await asyncio.wait_for(queue.get(), timeout)

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def close(self) -> None:
        await self.sio.disconnect()


def instance() -> str:
    return secrets.token_urlsafe(12)
