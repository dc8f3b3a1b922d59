"""Shared fixtures: a real app on real SQLite or PostgreSQL, each test in its own database."""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import users
from storage.db import create_engine, migrate, sessionmaker_for
from storage.passwords import Passwords
from web.access_log import RedactingAccessLogger
from web.app import create_app
from web.keys import DB
from web.settings import Settings

CI = os.environ.get("CI", "").lower() == "true"
PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"
# argon2id at its smallest cost: the same code and hash format, without 0.1 s of CPU a hash
# (the production cost is Settings' default; tests/test_storage.py checks a hash made with it).
CHEAP_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}
# The hashes of the accounts tests make directly, at the cost of the tests' settings.
TEST_PASSWORDS = Passwords(time_cost=1, memory_kib=8, parallelism=1)


def need(condition: bool, what: str) -> None:
    """Skip locally when a real component is missing; in CI that is a failure."""
    if condition:
        return
    if CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Clock:
    """A settable clock for tests that move time."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_only() -> str:
    return "sqlite"


async def _postgres_schema() -> tuple[str, str]:
    need(_port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    schema = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    url = PG_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
    return url, schema


async def _drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def _migrate_with_users(url: str, schema: str | None, now: datetime) -> None:
    """Every migration, then the two caseworkers the tests log in as."""
    engine = create_engine(url, schema=schema)
    await migrate(engine)
    async with sessionmaker_for(engine).begin() as db:
        for username, name in (("fachkraft", "Frau Beispiel"), ("kollege", "Herr Anders")):
            await users.create_user(
                db, TEST_PASSWORDS, username, PASSWORD, display_name=name, role="caseworker", now=now
            )
    await engine.dispose()


@pytest.fixture(scope="session")
async def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the two caseworkers, made once per test process.

    Each test gets a copy of the file (its own database, as before) instead of running all
    migrations again; the migrations themselves are tested on their own
    (tests/test_storage.py, tests/test_inventory.py), and every PostgreSQL test still
    migrates its own schema.
    """
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    await _migrate_with_users(f"sqlite+aiosqlite:///{path}", None, datetime.now(UTC))
    return path  # the engine is disposed: the WAL is checkpointed into this one file


@pytest.fixture
async def settings(
    tmp_path: Path, clock: Clock, request: pytest.FixtureRequest, _sqlite_template: Path
) -> AsyncIterator[Settings]:
    """Settings on a fresh, migrated database: SQLite unless the test asks for ``database``."""
    kind = request.getfixturevalue("database") if "database" in request.fixturenames else "sqlite"
    schema = None
    if kind == "postgres":
        url, schema = await _postgres_schema()
        await _migrate_with_users(url, schema, clock())
    else:
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(_sqlite_template, copy)
        url = f"sqlite+aiosqlite:///{copy}"
    settings = Settings(
        instance_path=tmp_path / "instance",
        database_url=url,
        database_schema=schema,
        rejoin_grace_seconds=2.0,
        clock=clock,
        **CHEAP_ARGON2,
    )
    yield settings
    if schema:
        await _drop_schema(schema)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's own database (schema), outside any app."""
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    yield sessionmaker_for(engine)
    await engine.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    """The shared Redis, and a key prefix of this test's own (its keys are deleted after)."""
    need(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"t{secrets.token_hex(6)}"
    yield client, prefix
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def server(app: web.Application) -> AsyncIterator[TestServer]:
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server(access_log_class=RedactingAccessLogger)
    yield srv
    await srv.close()


ClientFactory = Callable[[], Awaitable[TestClient]]


@pytest.fixture
async def new_client(server: TestServer) -> AsyncIterator[ClientFactory]:
    """Independent browsers (own cookie jars) against the same running server."""
    made: list[TestClient] = []

    async def factory() -> TestClient:
        client = TestClient(server)
        await client.start_server()
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.close()


@pytest.fixture
async def client(new_client: ClientFactory) -> TestClient:
    return await new_client()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def login(client: TestClient, username: str = "fachkraft", password: str = PASSWORD) -> str:
    """Log in; return the CSRF token of the login session."""
    page = await client.get("/login")
    token = csrf_from(await page.text())
    resp = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    dashboard = await client.get("/dashboard")
    assert dashboard.status == 200
    return csrf_from(await dashboard.text())


# The long (JWT) link; the page's first link, #invitation-link, is the short /j/<code> one.
_LINK = re.compile(r'id="invitation-link-long" class="link" readonly value="([^"]+)"')


async def create_session(client: TestClient, csrf: str, group: str = "sgb2", **extra: str) -> tuple[str, str]:
    """Create a session as the logged-in caseworker; return (session id, invitation path)."""
    resp = await client.post(
        "/sessions",
        data={"group": group, "language": "de", "csrf_token": csrf, **extra},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    page = await client.get(f"/sessions/{session_id}")
    match = _LINK.search(await page.text())
    assert match
    link = match.group(1)
    return session_id, link[link.index("/join/") :]


async def join_and_consent(client: TestClient, join_path: str) -> str:
    """Open the invitation link and consent; return the session id."""
    resp = await client.get(join_path, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    page = await client.get(f"/s/{session_id}/consent")
    html = await page.text()
    version = re.search(r'name="version" value="([^"]+)"', html)
    assert version
    resp = await client.post(
        f"/s/{session_id}/consent",
        data={
            "csrf_token": csrf_from(html),
            "agree": "yes",
            "action": "agree",
            "version": version.group(1),
            "language": "de",
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == f"/s/{session_id}/wait"
    return session_id


def cookie_header(client: TestClient) -> str:
    return "; ".join(f"{c.key}={c.value}" for c in client.session.cookie_jar)


async def db_of(app: web.Application) -> Any:
    return app[DB]


__all__ = ["replace"]


def _ends_with_parent() -> None:
    """In the child, before exec: SIGTERM when this test process dies (e.g. a timed-out worker)."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)


def chromium_args() -> list[str]:
    """load_tests.browser's flags, with the fake camera at 5 frames a second (its default is
    20; 5 is its lowest): the same pictures and journeys for a quarter of the encoding and
    decoding work; ``make bench`` keeps 20. Every test waits for frames, none counts them.
    """
    from load_tests.browser import ARGS

    fake = "--use-fake-device-for-media-stream"
    return [f"{fake}=fps=5" if arg == fake else arg for arg in ARGS]


# Debian's chromium-headless-shell: Chromium's headless mode as a binary of its own (the
# one Playwright runs for headless tests by default), the same engine, WebRTC and DevTools
# as /usr/bin/chromium without the full browser's own UI renderers (omnibox pop-ups
# preloaded for every window) - about half the CPU a browser test costs. The full
# /usr/bin/chromium runs the whole call in ``test_browser.py`` and the network-drop test.
# The binary itself: /usr/bin/chromium-headless-shell is a sh wrapper that does not exec,
# so ending the wrapper would leave the browser running.
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One headless Chromium per test process (per xdist worker); its DevTools endpoint.

    Debian's chromium-headless-shell with fake camera and microphone (never a download).
    Each test connects to it and gets fresh browser contexts (``browser``), so no cookie,
    storage or permission carries over from one test to the next.
    """
    need(HEADLESS_SHELL.exists(), "Chromium's headless shell (Debian's chromium-headless-shell)")
    profile = tmp_path_factory.mktemp("chromium")
    # A German user's browser: pages without a chosen language follow Accept-Language
    # (a test wanting another one opens a context with ``locale=``).
    command = [
        str(HEADLESS_SHELL),
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        *chromium_args(),
        "--accept-lang=de-DE,de",
    ]
    proc = subprocess.Popen(
        [*command, "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ends_with_parent,
    )
    assert proc.stderr is not None
    endpoint = None
    for line in proc.stderr:  # Chromium prints its endpoint once it listens
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            endpoint = found.group(1)
            break
    if endpoint is None:
        proc.kill()
        pytest.fail(f"Chromium did not start (exit {proc.wait()})")
    # Keep reading its stderr, so a chatty Chromium never blocks on a full pipe.
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    yield endpoint
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
async def full_chromium(playwright_driver: Any) -> AsyncIterator[Any]:
    """Debian's full Chromium (/usr/bin/chromium, the browser people install), launched by
    Playwright through ``executable_path``, for a test of its own."""
    from load_tests.browser import CHROMIUM

    need(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")
    launched = await playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=[*chromium_args(), "--accept-lang=de-DE,de"], headless=True
    )
    try:
        yield launched
    finally:
        await launched.close()


@pytest.fixture(scope="session")
async def playwright_driver() -> AsyncIterator[Any]:
    """Playwright's driver (a Node.js process), started once per test process: all tests of
    a worker share its event loop (``asyncio_default_test_loop_scope``)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        yield pw


@pytest.fixture
async def browser(chromium: str, playwright_driver: Any) -> AsyncIterator[Any]:
    """The session's Chromium; the contexts and pages a test opens are closed after it."""
    connected = await playwright_driver.chromium.connect_over_cdp(chromium)
    try:
        yield connected
    finally:
        await connected.close()  # closes the contexts this test made, then disconnects


@pytest.fixture(scope="session")
def firefox_process() -> Iterator[Any]:
    """Debian's headless Firefox ESR, started once per test session (fake camera and microphone)."""
    from load_tests.firefox import FirefoxProcess, available

    need(available(), "Firefox ESR at /usr/bin/firefox-esr")
    # The fake camera at 5 frames a second (Firefox's default is 30), as the suite's Chromium.
    fps = {"media.navigator.video.default_fps": 5}
    process = FirefoxProcess(preexec_fn=_ends_with_parent, prefs=fps).start()
    asyncio.run(process.warm_up())  # no loop runs while a sync fixture is set up
    yield process
    process.close()


@pytest.fixture
async def firefox(firefox_process: Any) -> AsyncIterator[Any]:
    """A WebDriver BiDi session of this test's own on the shared Firefox; each page a user context of its own."""
    from load_tests.firefox import Firefox

    session = await Firefox(firefox_process).start()
    yield session
    await session.close()


def _tree_cpu_seconds() -> float:
    """CPU seconds of this process and every process below it (reaped children included)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


@pytest.fixture(autouse=True)
def _cpu_account(request: pytest.FixtureRequest) -> Iterator[None]:
    """With VB_CPU_LOG=FILE: each test's CPU seconds (its worker's whole process tree) to FILE."""
    target = os.environ.get("VB_CPU_LOG")
    if not target:
        yield
        return
    before = _tree_cpu_seconds()
    yield
    with open(target, "a") as log:
        log.write(f"{_tree_cpu_seconds() - before:.1f}\t{request.node.nodeid}\n")
