"""Login as an attacker tries it: many attempts at the same moment, against a real port."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import pytest
from aiohttp import web
from sqlalchemy import select

from storage import login_throttle
from storage.models import LoginThrottle as ThrottleRow
from tests.conftest import PASSWORD, csrf_from, replace
from web.app import create_app
from web.keys import DB, PASSWORD_CHECKS
from web.settings import Settings


@pytest.fixture
def app(settings: Settings, request: pytest.FixtureRequest) -> web.Application:
    """The app, with the login limits a test names in ``@pytest.mark.limits(...)``."""
    marker = request.node.get_closest_marker("limits")
    return create_app(replace(settings, **(marker.kwargs if marker else {})))


async def _form(client) -> str:  # type: ignore[no-untyped-def]
    page = await client.get("/login")
    return csrf_from(await page.text())


async def _attempt(client, csrf: str, username: str, password: str) -> int:  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf},
        allow_redirects=False,
    )
    await resp.read()
    return resp.status


# This test is about the per-user count: the address limit has room for the burst.
@pytest.mark.limits(login_attempts_per_address=100, login_attempts_per_node=100)
async def test_concurrent_wrong_passwords_count_exactly_and_lock(database, app, new_client) -> None:  # type: ignore[no-untyped-def]
    clients = [await new_client() for _ in range(20)]
    forms = await asyncio.gather(*(_form(c) for c in clients))
    statuses = await asyncio.gather(
        *(_attempt(c, csrf, "fachkraft", f"wrong-{i}") for i, (c, csrf) in enumerate(zip(clients, forms, strict=True)))
    )
    assert all(s < 500 for s in statuses), statuses
    # Exactly five passwords were checked; every other attempt was refused unchecked.
    assert sorted(statuses) == [401] * login_throttle.MAX_ATTEMPTS + [429] * (20 - login_throttle.MAX_ATTEMPTS)
    async with app[DB]() as db:
        row = await db.scalar(select(ThrottleRow).where(ThrottleRow.key_hash == login_throttle.key_for("fachkraft")))
    assert row is not None and row.failures == 20 and row.locked_until is not None
    # The right password straight after is refused too: the lock holds.
    resp = await clients[0].post(
        "/login",
        data={"username": "fachkraft", "password": PASSWORD, "csrf_token": forms[0]},
        allow_redirects=False,
    )
    assert resp.status == 429
    assert "15 Minuten" in await resp.text()


async def test_right_password_still_logs_in_and_clears_the_count(database, app, client) -> None:  # type: ignore[no-untyped-def]
    csrf = await _form(client)
    assert await _attempt(client, csrf, "fachkraft", "wrong") == 401
    assert await _attempt(client, csrf, "fachkraft", PASSWORD) == 303
    async with app[DB]() as db:
        assert await db.scalar(select(ThrottleRow.failures)) is None  # cleared on success


async def test_flood_of_random_names_from_one_address_is_refused_before_hashing(app, new_client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime.now(UTC)  # the buckets do not refill while the test runs, however slow
    client = await new_client()
    csrf = await _form(client)
    names = [f"user-{secrets.token_hex(4)}" for _ in range(25)]
    statuses = await asyncio.gather(*(_attempt(client, csrf, n, "x") for n in names))
    assert all(s < 500 for s in statuses), statuses
    assert statuses.count(401) == 10 and statuses.count(429) == 15  # 10 per address at once
    async with app[DB]() as db:
        # Refused attempts never reached the per-name count (nor the argon2 pool).
        assert len((await db.scalars(select(ThrottleRow.key_hash))).all()) == 10
    resp = await client.post(
        "/login", data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 429  # the address is limited, whoever logs in from it


# Many addresses (a botnet) are one loopback address here: a node limit below the
# address limit shows the node bucket refusing on its own.
@pytest.mark.limits(login_attempts_per_address=100, login_attempts_per_node=4)
async def test_the_node_limit_holds_across_addresses(app, new_client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime.now(UTC)
    client = await new_client()
    csrf = await _form(client)
    statuses = await asyncio.gather(*(_attempt(client, csrf, f"n{i}", "x") for i in range(12)))
    assert statuses.count(401) == 4 and statuses.count(429) == 8


@pytest.mark.timeout(240)
async def test_login_flood_scenario_runs() -> None:
    """The load_tests/ scenario of finding 2 works end to end (tiny; no speed is asserted)."""
    import argparse

    from load_tests import login_flood

    report = await login_flood.run(argparse.Namespace(seconds=1.0, logins=10.0, rate=10.0))
    for phase in ("quiet", "flood", "flood_unthrottled"):
        assert report[phase]["received"] == report[phase]["sent"] == 10
        assert report[phase]["p95_ms"] is not None
    assert sum(report["flood"]["logins"].values()) == 10
    assert set(report["flood"]["logins"]) <= {"401", "429"}  # refused or wrong, never a 5xx


async def test_unknown_name_is_checked_like_a_known_one(app, client) -> None:  # type: ignore[no-untyped-def]
    """No enumeration by timing: an unknown name costs one argon2 check, as a wrong password does."""
    csrf = await _form(client)
    checks = app[PASSWORD_CHECKS]
    assert await _attempt(client, csrf, "fachkraft", "wrong") == 401
    assert checks.checked == 1
    unknown = await client.post(
        "/login", data={"username": "niemand", "password": "wrong", "csrf_token": csrf}, allow_redirects=False
    )
    assert unknown.status == 401 and checks.checked == 2
    known_page = await (
        await client.post(
            "/login", data={"username": "kollege", "password": "wrong", "csrf_token": csrf}, allow_redirects=False
        )
    ).text()
    assert "falsch" in known_page and "falsch" in await unknown.text()  # the same answer
