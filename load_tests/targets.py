"""The three servers under test, each started by the harness as its own process.

(a) ``videoberatung serve`` on a fresh SQLite file. Its clients go through the real
    authentication: the bench fixture creates a caseworker, a login session, and per
    pair an admitted session whose recipient has a consent record — with the storage
    functions the app itself uses — and the clients present the resulting cookies. It
    also makes sessions whose recipient has consented but still waits (not admitted),
    for the caseworker's dashboard to admit.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).parent
NODE_DIR = HERE / "baselines" / "node"


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
    proc: subprocess.Popen[bytes] | None = None
    pairs: list[Pair] = field(default_factory=list)
    # "ours" only: the bench caseworker's dashboard, and recipients who wait to be admitted.
    dashboard: Guest | None = None
    waiting: list[Guest] = field(default_factory=list)
    # "ours" only: recipients who opened their link but have not consented yet.
    fresh: list[Guest] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _spawn(self) -> None:
        env = {**os.environ, **self.env, "PORT": str(self.port)}
        self.proc = subprocess.Popen(
            [*self.command], env=env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def restart(self) -> None:
        """A fresh process: memory figures then start from the same warm baseline."""
        await self.stop()
        await self.start()

    async def start(self, timeout: float = 30) -> None:
        self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if loop.time() > deadline:
                    raise TimeoutError(f"{self.name} did not answer /healthz")
                await asyncio.sleep(0.05)  # polling with a deadline: the process gives no event

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 15)
            except TimeoutError:
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait)

    def pair(self, i: int) -> Pair:
        if self.pairs:
            return self.pairs[i]
        room = {"room": f"r{i}"}
        return Pair(({}, {}), (room, dict(room)))


def _instance() -> str:
    return secrets.token_urlsafe(12)


@dataclass
class _Fixture:
    pairs: list[Pair]
    dashboard: Guest
    waiting: list[Guest]
    fresh: list[Guest] = field(default_factory=list)


async def _fixture(database_url: str, pairs: int, waiting: int, fresh: int = 0) -> _Fixture:
    """Sessions with a consenting recipient, made with the app's own storage functions.

    ``pairs`` of them admitted (call pairs), ``waiting`` not yet (waiting-room guests);
    and ``fresh`` sessions whose recipient has opened the link but not consented.
    """
    from consent import texts
    from consent.records import ALL_SCOPES
    from rooms.session import Admission, BenefitGroup, CounselSession
    from storage import consents, sessions, users
    from storage.db import create_engine, migrate, sessionmaker_for
    from web.cookies import LOGIN_COOKIE, PARTICIPANT_COOKIE, participant_cookie

    now = datetime.now(UTC)
    engine = create_engine(database_url)
    await migrate(engine)
    text = texts.current_text("de")
    made = _Fixture([], Guest({}, {}), [])
    try:
        async with sessionmaker_for(engine).begin() as db:
            account = await users.create_user(
                db, "bench", secrets.token_urlsafe(16), display_name="Bench", role="caseworker", now=now
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


async def ours(workdir: Path, pairs: int, waiting: int = 0, fresh: int = 0) -> Target:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    target = Target(
        "ours",
        [sys.executable, "-m", "web.cli", "serve"],
        env={"INSTANCE_PATH": str(workdir), "DATABASE_URL": url, "PURGE_INTERVAL_SECONDS": "0"},
    )
    fixture = await _fixture(url, pairs, waiting, fresh)
    target.pairs, target.dashboard, target.waiting = fixture.pairs, fixture.dashboard, fixture.waiting
    target.fresh = fixture.fresh
    return target


def bare() -> Target:
    return Target("bare", [sys.executable, "-m", "load_tests.baselines.bare_relay"])


def node() -> Target:
    return Target("node", ["node", "server.js"], cwd=NODE_DIR)
