"""The three servers under test, each started by the harness as its own process.

(a) ``videoberatung serve`` on a fresh SQLite file. Its clients go through the real
    authentication: the bench fixture creates a caseworker, a login session, and per
    pair an admitted session whose recipient has a consent record — with the storage
    functions the app itself uses — and the clients present the resulting cookies. It
    also makes sessions whose recipient has consented but still waits (not admitted),
    for the caseworker's dashboard to admit. The production layouts are (a) on a
    PostgreSQL schema of its own, and (a) as several ``serve`` processes sharing that
    database and Redis (``REDIS_URL``, a key prefix of their own), each on its port.
(b) ``load_tests/baselines/bare_relay.py``: python-socketio with no business logic.
(c) ``load_tests/baselines/node/server.js``: socket.io 4 on Node, installed with npm.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).parent
NODE_DIR = HERE / "baselines" / "node"
# The production layouts' PostgreSQL (each target in a schema of its own) and Redis.
POSTGRES_DSN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def npm_install() -> None:
    if not (NODE_DIR / "node_modules" / "socket.io").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True)


@dataclass
class Pair:
    """What the two clients of one call present: headers and socket.io ``auth``."""

    headers: tuple[dict[str, str], dict[str, str]]
    auth: tuple[dict[str, Any], dict[str, Any]]


@dataclass
class Guest:
    """One client outside a call pair (a dashboard, a waiting recipient): headers and ``auth``."""

    headers: dict[str, str]
    auth: dict[str, Any]


@dataclass
class Target:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    port: int = field(default_factory=free_port)
    # The port of each process of the target (node 0 is ``port``): more than one for "ours"
    # as several nodes sharing Redis.
    nodes: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    # "ours" only: the bench caseworker's dashboard, and recipients who wait to be admitted.
    dashboard: Guest | None = None
    waiting: list[Guest] = field(default_factory=list)
    # "ours" only: recipients who opened their link but have not consented yet.
    fresh: list[Guest] = field(default_factory=list)
    # Run by ``dispose`` after the last stop: drop the schema, delete the Redis keys.
    teardown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            self.nodes = [self.port]
        self.port = self.nodes[0]

    @property
    def url(self) -> str:
        return self.url_for(0)

    def url_for(self, node: int) -> str:
        """Node ``node``'s URL (modulo the node count: on one node every index is node 0)."""
        return f"http://127.0.0.1:{self.nodes[node % len(self.nodes)]}"

    @property
    def pid(self) -> int:
        return self.pids[0]

    @property
    def pids(self) -> list[int]:
        assert self.procs, f"{self.name} is not running"
        return [proc.pid for proc in self.procs]

    def _spawn(self) -> None:
        self.procs = [
            subprocess.Popen(
                [*self.command],
                env={**os.environ, **self.env, "PORT": str(port)},
                cwd=self.cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for port in self.nodes
        ]

    async def restart(self) -> None:
        """A fresh process: memory figures then start from the same warm baseline."""
        await self.stop()
        await self.start()

    @property
    def running(self) -> bool:
        return bool(self.procs) and all(proc.poll() is None for proc in self.procs)

    async def ready(self, per_scenario: bool) -> None:
        """Before a scenario: a fresh process (``per_scenario``), or the running one."""
        if per_scenario or not self.running:
            await self.restart()

    async def start(self, timeout: float = 60) -> None:
        self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            for node, proc in enumerate(self.procs):
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"{self.name} (node {node}) exited with {proc.returncode}")
                    try:
                        async with http.get(f"{self.url_for(node)}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if loop.time() > deadline:
                        raise TimeoutError(f"{self.name} (node {node}) did not answer /healthz")
                    await asyncio.sleep(0.05)  # polling with a deadline: the process gives no event

    async def stop(self) -> None:
        await asyncio.gather(*(_end(proc) for proc in self.procs))

    async def dispose(self) -> None:
        """Stop for good and remove what the target keeps outside its work folder."""
        try:
            await self.stop()
        finally:
            for step in self.teardown:
                await step()

    def pair(self, i: int) -> Pair:
        if self.pairs:
            return self.pairs[i]
        room = {"room": f"r{i}"}
        return Pair(({}, {}), (room, dict(room)))


async def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(proc.wait), 15)
        except TimeoutError:
            proc.kill()
            await asyncio.to_thread(proc.wait)


def _instance() -> str:
    return secrets.token_urlsafe(12)


@dataclass
class _Fixture:
    pairs: list[Pair]
    dashboard: Guest
    waiting: list[Guest]
    fresh: list[Guest] = field(default_factory=list)


async def _fixture(database_url: str, pairs: int, waiting: int, fresh: int = 0, schema: str | None = None) -> _Fixture:
    """Sessions with a consenting recipient, made with the app's own storage functions.

    ``pairs`` of them admitted (call pairs), ``waiting`` not yet (waiting-room guests);
    and ``fresh`` sessions whose recipient has opened the link but not consented.
    """
    from consent import texts
    from consent.records import ALL_SCOPES
    from rooms.session import Admission, BenefitGroup, CounselSession
    from storage import consents, sessions, users
    from storage.db import create_engine, migrate, sessionmaker_for
    from storage.passwords import Passwords
    from web.cookies import LOGIN_COOKIE, PARTICIPANT_COOKIE, participant_cookie

    now = datetime.now(UTC)
    engine = create_engine(database_url, schema=schema)
    await migrate(engine)
    text = texts.current_text("de")
    made = _Fixture([], Guest({}, {}), [])
    try:
        async with sessionmaker_for(engine).begin() as db:
            account = await users.create_user(
                db, Passwords(), "bench", secrets.token_urlsafe(16), display_name="Bench", role="caseworker", now=now
            )
            token, _ = await users.open_login_session(db, account, now)
            login = {"Cookie": f"{LOGIN_COOKIE}={token}"}
            made.dashboard = Guest(login, {"role": "dashboard"})
            for i in range(pairs + waiting + fresh):
                session = CounselSession(
                    id=str(uuid.uuid4()),
                    caseworker_id=account.id,
                    group=BenefitGroup.SGB2,
                    language="de",
                    invitation_jti=secrets.token_urlsafe(8),
                    created_at=now,
                    office_id=account.office_id,
                )
                await sessions.add_session(db, session)
                # As the app's own "new session" does: the caseworker's participant comes with it.
                await sessions.add_participant(db, session.id, "caseworker", now)
                participant, secret = await sessions.add_participant(db, session.id, "recipient", now)
                cookie = {"Cookie": f"{PARTICIPANT_COOKIE}={participant_cookie(participant.id, secret)}"}
                if i >= pairs + waiting:
                    made.fresh.append(Guest(cookie, {"role": "recipient", "session": session.id}))
                    continue
                await consents.record_consent(
                    db,
                    participant_id=participant.id,
                    session_id=session.id,
                    role="recipient",
                    now=now,
                    text_version=text.version,
                    text_sha256=text.sha256,
                    language=text.language,
                    scopes=ALL_SCOPES,
                )
                if i >= pairs:
                    auth = {"role": "recipient", "session": session.id, "page": "wait", "instance": _instance()}
                    made.waiting.append(Guest(cookie, auth))
                    continue
                await sessions.set_admission(db, participant.id, Admission.ADMITTED)
                session.admit()
                await sessions.save_session(db, session)
                made.pairs.append(
                    Pair(
                        (login, cookie),
                        (
                            {"role": "caseworker", "session": session.id, "instance": _instance()},
                            {"role": "recipient", "session": session.id, "instance": _instance()},
                        ),
                    )
                )
    finally:
        await engine.dispose()
    return made


async def ours(
    workdir: Path,
    pairs: int,
    waiting: int = 0,
    fresh: int = 0,
    postgres_schema: str | None = None,
    redis_nodes: int = 0,
    *,
    name: str = "ours",
    postgres_dsn: str = POSTGRES_DSN,
    redis_url: str = REDIS_URL,
    redis_prefix: str | None = None,
) -> Target:
    """``videoberatung serve`` with its fixture: on SQLite in ``workdir`` (the embedded default),
    or in the new PostgreSQL schema ``postgres_schema`` (``DATABASE_SCHEMA``); with
    ``redis_nodes``, that many processes sharing the database and Redis under ``redis_prefix``
    (a fresh one if not given). ``dispose()`` drops the schema and deletes the Redis keys.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = {"INSTANCE_PATH": str(workdir), "PURGE_INTERVAL_SECONDS": "0"}
    teardown: list[Callable[[], Awaitable[None]]] = []
    if postgres_schema:
        url = postgres_dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        await _create_schema(postgres_dsn, postgres_schema)
        teardown.append(partial(_drop_schema, postgres_dsn, postgres_schema))
        env["DATABASE_SCHEMA"] = postgres_schema
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    env["DATABASE_URL"] = url
    if redis_nodes:
        prefix = redis_prefix or f"bench{secrets.token_hex(6)}"
        env |= {"REDIS_URL": redis_url, "REDIS_PREFIX": prefix}
        teardown.append(partial(_delete_keys, redis_url, prefix))
    target = Target(
        name,
        [sys.executable, "-m", "web.cli", "serve"],
        env=env,
        nodes=[free_port() for _ in range(max(1, redis_nodes))],
        teardown=teardown,
    )
    try:
        fixture = await _fixture(url, pairs, waiting, fresh, schema=postgres_schema)
    except BaseException:
        await target.dispose()
        raise
    target.pairs, target.dashboard, target.waiting = fixture.pairs, fixture.dashboard, fixture.waiting
    target.fresh = fixture.fresh
    return target


async def _create_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()


async def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def _delete_keys(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def bare() -> Target:
    return Target("bare", [sys.executable, "-m", "load_tests.baselines.bare_relay"])


def node() -> Target:
    return Target("node", ["node", "server.js"], cwd=NODE_DIR)
