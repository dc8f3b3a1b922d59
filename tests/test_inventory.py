"""The data inventory against the real sources: the migrated schema, Redis, cookies, logs, metrics."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import inspect

from recordings_policy import RetentionPolicy, load_policy
from recordings_policy.inventory import (
    INVENTORY,
    Kind,
    by_name,
    pattern_matches,
    resolve,
    retention_mismatches,
)
from storage.db import create_engine
from tests.conftest import REDIS_URL, _port_open, create_session, csrf_from, join_and_consent, login, need
from tests.nodes import Browser, Client, Node, instance
from web.settings import Settings

_FEEDBACK_LINK = re.compile(r'href="(/feedback/t/[A-Za-z0-9_-]+)"')
_SUFFIX = re.compile(r"_(total|created|bucket|count|sum)$")
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def _missing(found: set[str], kind: Kind) -> list[str]:
    return sorted(found - set(by_name(kind)))


async def _columns(settings: Settings) -> set[str]:
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with engine.connect() as conn:

            def read(sync: Any) -> set[str]:
                found = inspect(sync)
                schema = settings.database_schema
                return {
                    f"{table}.{column['name']}"
                    for table in found.get_table_names(schema=schema)
                    for column in found.get_columns(table, schema=schema)
                }

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("database")
async def test_every_column_of_the_migrated_schema_is_in_the_inventory(settings: Settings) -> None:
    """SQLite and PostgreSQL, migrated from nothing by the Alembic migrations."""
    columns = await _columns(settings)
    assert len(columns) > 100
    assert _missing(columns, Kind.COLUMN) == [], "columns without purpose and retention in recordings_policy/"
    # And nothing listed that the schema lacks: the inventory cannot run ahead of the code.
    gone = sorted(set(by_name(Kind.COLUMN)) - columns)
    assert gone == [], "listed in recordings_policy/inventory_tables.py but not in the schema"


def test_retentions_agree_with_policy_toml_and_a_changed_policy_is_caught() -> None:
    policy = load_policy()
    assert retention_mismatches(policy) == []
    changed = RetentionPolicy.from_mapping(
        {
            "version": 1,
            **{c.value: {"store": r.store} for c, r in policy.rules.items() if not r.store},
            **{
                c.value: {
                    "store": True,
                    "days": r.keep.days + (1 if c.value == "consent_records" else 0),
                    "from": r.anchor,
                }
                for c, r in policy.rules.items()
                if r.store and r.keep is not None and r.anchor is not None
            },
        }
    )
    wrong = retention_mismatches(changed)
    assert wrong and all("consent_records" in line for line in wrong)
    assert any(line.startswith("consent_records.given_at") for line in wrong)


def test_every_item_is_complete_and_its_deleting_code_path_exists() -> None:
    for item in INVENTORY:
        assert item.purpose and item.data_class and item.retention.rule, item.name
        if item.deleted_by is not None:
            assert callable(resolve(item.deleted_by)), item.deleted_by
    assert len({(i.kind, i.name) for i in INVENTORY}) == len(INVENTORY), "an item is listed twice"


class _Recording(Browser):
    """A browser that keeps the name of every cookie any response (redirects too) sets."""

    def __init__(self, base_url: str, cookies: set[str]) -> None:
        trace = aiohttp.TraceConfig()

        async def seen(_s: Any, _c: Any, params: Any) -> None:
            cookies.update(params.response.cookies.keys())

        trace.on_request_end.append(seen)
        trace.on_request_redirect.append(seen)
        self.session = aiohttp.ClientSession(
            base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True), trace_configs=[trace]
        )


class _Run:
    def __init__(self, settings: Settings, prefix: str) -> None:
        self.prefix = prefix
        self.nodes = [Node(n, settings, REDIS_URL, prefix) for n in "ab"]
        for node in self.nodes:  # JSON logs, and the purge (with its lock) at start-up
            node.env |= {"LOG_FORMAT": "json", "PURGE_INTERVAL_SECONDS": "3600"}
        self.cookies: set[str] = set()
        self.keys: set[str] = set()
        self.browsers: list[Browser] = []
        self.clients: list[Client] = []
        self.redis = aioredis.Redis.from_url(REDIS_URL)

    def browser(self, node: Node) -> Browser:
        made = _Recording(node.url, self.cookies)
        self.browsers.append(made)
        return made

    async def client(self, browser: Browser, node: Node, auth: dict[str, Any]) -> Client:
        made = Client(browser.cookie(), auth)
        self.clients.append(made)
        await made.connect(node.url)
        return made

    async def scan(self) -> None:
        self.keys |= {k.decode() async for k in self.redis.scan_iter(f"{self.prefix}:*")}

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        for browser in self.browsers:
            await browser.close()
        for node in self.nodes:
            await node.stop()
        keys = [k async for k in self.redis.scan_iter(f"{self.prefix}:*")]
        if keys:
            await self.redis.delete(*keys)
        await self.redis.aclose()


async def _journey(run: _Run) -> None:
    """Login, dashboard, invitation, consent, waiting room, call across nodes, end, feedback, booking."""
    a, b = run.nodes
    cw = run.browser(a)
    csrf = await login(cw)  # type: ignore[arg-type]
    dashboard = await run.client(cw, a, {"role": "dashboard"})
    await dashboard.next("lobby.snapshot")
    session_id, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
    rc = run.browser(b)
    await join_and_consent(rc, join_path)  # type: ignore[arg-type]
    waiting = await run.client(
        rc, b, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    )
    await waiting.next("lobby.position")
    while not (update := await dashboard.next("lobby.update"))["waiting"] or update["session"] != session_id:
        pass
    await run.scan()  # the waiting room and its heartbeats
    admitted = await dashboard.call(
        "lobby.admit", {"session": session_id, "participant": update["waiting"][0]["participant"]}
    )
    assert admitted["ok"] is True
    await waiting.next("lobby.admitted")
    await waiting.close()
    caseworker = await run.client(cw, a, {"role": "caseworker", "session": session_id, "instance": instance()})
    await caseworker.next("call.peers")
    recipient = await run.client(rc, b, {"role": "recipient", "session": session_id, "instance": instance()})
    await recipient.next("call.peers")
    await caseworker.next("peer.joined")
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    await recipient.next("offer")
    await recipient.close()  # a dropped page: the grace period is scheduled
    await caseworker.next("peer.left")
    await run.scan()  # presence, the call, the watch list, the scheduled departures
    ended = await cw.post(f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": csrf})
    assert ended.status == 200
    page = await (await rc.get(f"/s/{session_id}/ended")).text()
    link = _FEEDBACK_LINK.search(page)
    assert link, "the ended page offers feedback"
    form = await rc.get(link.group(1))
    assert form.status == 200
    # Booking: the fallback form of a second invitation (its form error is counted by the limit).
    other_session, other_join = await create_session(cw, csrf)  # type: ignore[arg-type]
    person = run.browser(b)
    assert (await person.get(other_join, allow_redirects=False)).status == 303
    fallback = await person.get(f"/s/{other_session}/fallback")
    data = {"csrf_token": csrf_from(await fallback.text()), "channel": "phone", "slot": "", "phone": "1", "who": "mine"}
    assert (await person.post(f"/s/{other_session}/fallback", data=data)).status == 400
    await run.scan()  # the rate limit and the purge lock
    assert (await cw.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)).status == 303


async def _labels(node: Node) -> set[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{node.url}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    # A metric by its name without the suffixes of its samples (_total, _created, _bucket, ...).
    return {
        f"{_SUFFIX.sub('', sample.name)}{{{label}}}"
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for label in sample.labels
    }


def _log_fields(node: Node) -> set[str]:
    fields: set[str] = set()
    parsed = 0
    for line in node.output:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        fields |= set(record)
        parsed += 1
    assert parsed > 5, f"node {node.name} wrote no JSON log lines: {''.join(node.output)[-500:]}"
    return fields


@pytest.mark.redis
@pytest.mark.timeout(120)
async def test_a_real_run_holds_only_inventoried_keys_cookies_log_fields_and_labels(settings: Settings) -> None:
    need(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    run = _Run(replace(settings, presence_ttl_seconds=6.0, rejoin_grace_seconds=30.0), f"t{secrets.token_hex(6)}")
    try:
        await asyncio.gather(*(node.start() for node in run.nodes))
        await _journey(run)
        labels = set().union(*[await _labels(node) for node in run.nodes])
    finally:
        await run.close()
    patterns = by_name(Kind.REDIS_KEY)
    unknown = sorted(k for k in run.keys if not any(pattern_matches(p, run.prefix, k) for p in patterns))
    assert unknown == [], "Redis keys without an inventory pattern"
    # Every pattern the journey should have produced was seen: the scan really looked.
    seen = {p for p in patterns if any(pattern_matches(p, run.prefix, k) for k in run.keys)}
    assert seen >= {
        "{prefix}:wait:{session}",
        "{prefix}:peer:{sid}",
        "{prefix}:call:{session}",
        "{prefix}:rate:{digest}",
    }
    assert {"vb_login", "vb_participant", "vb_feedback"} <= run.cookies
    assert _missing(run.cookies, Kind.COOKIE) == [], "cookies the inventory lacks"
    fields = set().union(*[_log_fields(node) for node in run.nodes])
    assert {"time", "level", "message", "request_id"} <= fields
    assert _missing(fields, Kind.LOG_FIELD) == [], "log fields the inventory lacks"
    assert any(label.startswith("videoberatung_sockets{") for label in labels)
    assert _missing(labels, Kind.METRIC_LABEL) == [], "metric labels the inventory lacks"


_PACKAGES = (
    "application",
    "booking",
    "consent",
    "feedback",
    "recordings_policy",
    "rooms",
    "signaling",
    "storage",
    "web",
)


def test_every_extra_log_field_in_the_code_is_in_the_inventory() -> None:
    """Fields a log call adds (``extra={...}``) anywhere, even on paths the real run did not take."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found: dict[str, str] = {}
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "extra":
                        continue
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    assert isinstance(keyword.value, ast.Dict), f"{where}: name the log fields literally"
                    for key in keyword.value.keys:
                        assert isinstance(key, ast.Constant), where
                        found[str(key.value)] = where
    assert "request_id" in found
    missing = {name: where for name, where in found.items() if name not in by_name(Kind.LOG_FIELD)}
    assert missing == {}, "log fields the inventory lacks"


def test_every_cookie_name_in_the_code_is_in_the_inventory() -> None:
    """Every ``vb_*`` cookie name the code spells, including cookies the real run did not set."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = {
        node.value
        for package in _PACKAGES
        for path in (root / package).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"vb_[a-z_]+", node.value)
    }
    assert {"vb_login", "vb_participant", "vb_lang"} <= names
    assert _missing(names, Kind.COOKIE) == [], "cookies the inventory lacks"
