"""Operating a node: metrics during a real call, readiness and drain, settings checked at start, logs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import login
from tests.sio import Peer
from tests.test_signaling import SDP, _admit_and_call, _setup
from web import cli
from web.access_log import RedactingAccessLogger
from web.app import create_app
from web.drain import begin_drain
from web.settings import Settings
from web.variables import VARIABLES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    return samples(await resp.text())


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_during_a_real_call(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    scraper = await new_client()
    before = await scrape(scraper)
    assert value(before, "videoberatung_calls_in_progress") == 0
    ctx = await _setup(server, new_client, peers)
    waiting = await scrape(scraper)
    assert value(waiting, "videoberatung_people_waiting") == 1
    assert value(waiting, "videoberatung_sockets", role="dashboard") == 1
    assert value(waiting, "videoberatung_sockets", role="recipient") == 1
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    await recipient.next("offer")
    assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
    await caseworker.next("answer")
    # A refusal, by its code: a malformed candidate.
    refused = await recipient.call("candidate", {"candidate": 5})
    assert refused["ok"] is False
    code = refused["error"]["code"]
    unknown = await recipient.call("no.such.event", {})
    assert unknown["error"]["code"] == "unknown_event"

    during = await scrape(scraper)
    assert value(during, "videoberatung_calls_in_progress") == 1
    assert value(during, "videoberatung_people_waiting") == 0
    assert value(during, "videoberatung_sockets", role="caseworker") == 1
    assert value(during, "videoberatung_events_relayed_total", event="offer") == 1
    assert value(during, "videoberatung_events_relayed_total", event="answer") == 1
    assert value(during, "videoberatung_events_refused_total", code=code) == 1
    assert value(during, "videoberatung_events_refused_total", code="unknown_event") == 1
    assert value(during, "videoberatung_call_setup_seconds_count") == 1
    assert value(during, "videoberatung_admission_wait_seconds_count") == 1
    assert value(during, "videoberatung_echo_checks_running") == 0
    # Nothing that names a person, a session or a participant.
    text = await (await scraper.get("/metrics")).text()
    assert ctx["session"] not in text and participant not in text


async def test_login_failures_are_counted(client: TestClient, app: web.Application) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token
    resp = await client.post(
        "/login", data={"username": "fachkraft", "password": "wrong password", "csrf_token": token.group(1)}
    )
    assert resp.status == 401
    assert value(await scrape(client), "videoberatung_logins_failed_total") == 1
    data = {"username": "fachkraft", "password": "wrong password", "csrf_token": token.group(1)}
    statuses = [(await client.post("/login", data=data)).status for _ in range(5)]
    assert statuses[-1] == 429, statuses
    found = await scrape(client)
    assert value(found, "videoberatung_logins_throttled_total") == statuses.count(429)
    assert value(found, "videoberatung_logins_failed_total") == 1 + statuses.count(401)


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[TestServer]:
    """An app whose /metrics answers only 10.0.0.0/8 (not the test's loopback) or a token."""
    app = create_app(replace(settings, metrics_allow=("10.0.0.0/8",), metrics_token="s3cret-token"))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server(access_log_class=RedactingAccessLogger)
    yield srv
    await srv.close()


async def test_metrics_only_for_allowed_addresses_or_the_token(guarded: TestServer) -> None:
    async with TestClient(guarded) as client:
        assert (await client.get("/metrics")).status == 404
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 404
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert right.status == 200
        assert "videoberatung_sockets" in await right.text()


async def test_readyz_turns_503_when_draining(client: TestClient, app: web.Application) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready", "database": "ok"}
    await begin_drain(app)
    drained = await client.get("/readyz")
    assert drained.status == 503
    assert (await drained.json())["node"] == "draining"
    # Liveness is another question: the process is fine.
    assert (await client.get("/healthz")).status == 200


async def test_readyz_checks_redis_when_configured(settings: Settings, tmp_path: Path) -> None:
    from tests.conftest import need
    from tests.nodes import RedisServer

    need(shutil.which("redis-server") is not None, "redis-server")
    redis = RedisServer(str(tmp_path))
    await redis.start()
    app = create_app(replace(settings, redis_url=redis.url, redis_prefix="readyz"))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        async with TestClient(srv) as client:
            ready = await client.get("/readyz")
            assert ready.status == 200
            assert await ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}
            await redis.kill()
            lost = await client.get("/readyz")
            assert lost.status == 503
            assert (await lost.json())["redis"] == "unreachable"
    finally:
        await srv.close()
        await redis.kill()


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("PORT", "abc"),
        ("PRESENCE_TTL_SECONDS", "-5"),
        ("REJOIN_GRACE_SECONDS", "nan"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("DATABASE_URL", "mysql://db/x"),
        ("METRICS_ALLOW", "everyone"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_serve_refuses_a_bad_setting_naming_it(
    name: str, bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process: `serve` reads its settings before it opens anything (a subprocess only
    # costs an interpreter start here; test_json_logs_carry_the_request_id_and_no_query runs one).
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(name, bad)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert name in err
    assert "Traceback" not in err


def test_readme_lists_every_variable_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    for variable in VARIABLES:
        row = re.search(rf"^\| `{variable.name}` \| ([^|]+) \|", readme, re.MULTILINE)
        assert row, f"README does not list {variable.name}"
        assert row.group(1).strip() == variable.default, variable.name
    redis_row = re.search(r"^\| `REDIS_URL` \|.*$", readme, re.MULTILINE)
    assert redis_row and "reserved" not in redis_row.group(0)


async def test_json_logs_carry_the_request_id_and_no_query(tmp_path: Path, settings: Settings) -> None:
    from tests.nodes import free_port

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "web.cli",
        "serve",
        env={
            **os.environ,
            "INSTANCE_PATH": str(settings.instance_path),
            "DATABASE_URL": settings.database_url,
            "PORT": str(port),
            "PURGE_INTERVAL_SECONDS": "0",
            "LOG_FORMAT": "json",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            async for raw in proc.stdout:
                lines.append(raw.decode())
                if "serving on" in lines[-1]:
                    break
        import aiohttp

        async with aiohttp.ClientSession() as http:
            resp = await http.get(
                f"http://127.0.0.1:{port}/join/secret-token-123?phone=0170123",
                headers={"X-Request-Id": "req-abc-12345"},
            )
            assert resp.headers["X-Request-Id"] == "req-abc-12345"
        async with asyncio.timeout(30):
            async for raw in proc.stdout:
                lines.append(raw.decode())
                if "req-abc-12345" in lines[-1]:
                    break
    finally:
        proc.terminate()
        await proc.wait()
    records = [json.loads(line) for line in lines if line.strip()]
    access = [r for r in records if r.get("request_id") == "req-abc-12345"]
    assert access and access[0]["logger"] == "aiohttp.access"
    assert {"time", "level", "logger", "message"} <= set(access[0])
    text = "".join(lines)
    assert "secret-token-123" not in text and "0170123" not in text


async def test_versioned_static_files_are_immutable_and_imports_are_versioned(client: TestClient) -> None:
    page = await (await client.get("/login")).text()
    css = re.search(r'href="(/static/css/app\.css\?v=[^"]+)"', page)
    assert css, "the stylesheet is linked with its version"
    styled = await client.get(css.group(1))
    assert styled.status == 200
    assert styled.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Without a version, or with an old one: not cached.
    assert (await client.get("/static/css/app.css")).headers["Cache-Control"] == "no-store"
    assert (await client.get("/static/css/app.css?v=0ld")).headers["Cache-Control"] == "no-store"

    # Follow a page's module and every import it makes: each one versioned and immutable.
    seen: set[str] = set()
    todo = ["/static/js/dashboard.js", "/static/js/call.js", "/static/js/waiting.js", "/static/js/check.js"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        resp = await client.get(url)
        assert resp.status == 200, url
        assert resp.content_type == "text/javascript"
        if "?v=" in url:
            assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        body = await resp.text()
        for specifier in re.findall(r"""\bfrom\s*["']([^"']+)["']""", body):
            assert "?v=" in specifier, f"{url} imports {specifier} without a version"
            base = url.rsplit("/", 1)[0]
            todo.append(specifier if specifier.startswith("/") else f"{base}/{specifier.removeprefix('./')}")
    assert any("vendor/socket.io.esm.min.js?v=" in u for u in seen)
    assert any("signaling.js?v=" in u for u in seen)
    # The page links its module with the very version the module is served under.
    await login(client)
    dashboard = await (await client.get("/dashboard")).text()
    script = re.search(r'<script type="module" src="(/static/js/dashboard\.js\?v=[^"]+)"', dashboard)
    assert script, "the dashboard links its module with a version"
    linked = await client.get(script.group(1))
    assert linked.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_grafana_dashboard_reads_metrics_the_node_exports() -> None:
    from web.metrics import Metrics

    # Families with labels have no samples before their first use: names from the families.
    exported = {
        family.name + suffix
        for family in Metrics().registry.collect()
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "videoberatung.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"videoberatung_[a-z_]+", target["expr"])
    }
    assert used and used <= exported, used - exported


def test_the_signalling_edge_imports_nothing_from_the_http_edge() -> None:
    import ast

    for path in sorted((ROOT / "signaling").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name != "web" and not name.startswith("web."), f"{path.name} imports {name}"


def test_the_docs_point_at_functions_that_exist() -> None:
    """Every ``path.py::name`` (or ``path.py::Class.method``) in docs/ names a real definition."""
    import ast

    missing = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for path, name in re.findall(r"`([\w/]+\.py)::([\w.]+)`", doc.read_text()):
            source = ROOT / path
            if not source.exists():
                missing.append(f"{doc.name}: {path}")
                continue
            defined = {
                node.name
                for node in ast.walk(ast.parse(source.read_text()))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            }
            if not set(name.split(".")) <= defined:
                missing.append(f"{doc.name}: {path}::{name}")
    assert not missing, missing
