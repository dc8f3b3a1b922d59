"""The benchmark harness works on a tiny run (about 20 clients). No speed is asserted.

A smoke of ``make bench``: our server and the bare python-socketio floor. The Node baseline
(``npm ci`` of socket.io) and the Chromium scenarios (calls, pages under slow 3G) run in
``make bench`` only; the browser journeys themselves are tests of their own.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

import asyncpg
import pytest
import redis.asyncio as aioredis

from load_tests import layouts, run
from tests.conftest import PG_DSN, REDIS_URL, _port_open, need

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("name", ["bare", "ours"])
async def test_harness_runs_every_scenario(name: str) -> None:
    # The production layouts have a test of their own (below).
    report = await run.run(replace(run.Sizes.tiny(), layouts=False, browser_calls=0), [name])
    result = report["targets"][name]
    [idle] = result["idle"]
    assert idle["connections"] == 20 and idle["pss_kib_after"] > 0
    [relay] = result["relay"]
    assert relay["received"] == relay["sent"] > 0  # every relayed message arrived, through the real auth for "ours"
    assert relay["p99_ms"] is not None and relay["server_cpu_ms_per_1000"] >= 0
    [setups] = result["setups"]
    assert setups["calls"] == 5 and setups["p99_ms"] is not None
    if name == "ours":
        # Every waiting recipient was admitted by the bot caseworker, none refused, both when
        # they arrive on a schedule and all at once.
        assert [(a["recipients"], a["rate"]) for a in result["admits"]] == [(5, 20), (5, 0)]
        for admits in result["admits"]:
            assert admits["admitted"] == 5 and admits["admit_refused"] == 0 and admits["failures"] == []
            for q in ("p50", "p99"):
                waited, total = admits[f"wait_{q}_ms"], admits[f"total_{q}_ms"]
                assert waited is not None and total is not None and 0 < waited <= total
        aiortc = result["aiortc"]
        assert aiortc["pairs"] == aiortc["connected"] == 2 and aiortc["failures"] == []
        assert aiortc["p50_ms"] is not None and 0 < aiortc["p50_ms"] <= aiortc["p99_ms"] <= aiortc["max_ms"]
        assert "browser" not in result and "pages" not in result  # make bench: Chromium
    else:
        assert "admits" not in result and "aiortc" not in result and "browser" not in result
    assert "layouts" not in report
    rendered = run.table(report)
    assert "markdown" not in rendered  # renders
    assert (
        ("waiting room to admitted" in rendered) == ("aiortc pairs, offer to connected" in rendered) == (name == "ours")
    )


def test_ratios_are_ours_over_each_baseline() -> None:
    relay = {"p99_ms": 4.0, "server_cpu_ms_per_1000": 10.0}
    fig = {
        "idle": [{"kib_per_connection": 3.0}],
        "relay": [relay],
        "setups": [{"p99_ms": 8.0, "server_cpu_ms_per_set_up": 6.0}],
    }
    base = {
        "idle": [{"kib_per_connection": 2.0}],
        "relay": [{"p99_ms": 2.0, "server_cpu_ms_per_1000": 5.0}],
        "setups": [{"p99_ms": 4.0, "server_cpu_ms_per_set_up": 4.0}],
    }
    found = run.ratios({"ours": fig, "bare": base})
    assert found == {
        "ours/bare": {
            "idle_kib_per_connection": [1.5],
            "relay_p99": [2.0],
            "cpu_ms_per_1000": [2.0],
            "setup_p99": [2.0],
            "setup_cpu_ms": [1.5],
        }
    }


def test_table_has_ours_only_rows_and_names_what_is_incomplete() -> None:
    empty: dict[str, list[object]] = {"idle": [], "relay": [], "setups": []}
    admits = {
        "recipients": 3,
        "rate": 0,
        "admitted": 2,
        "admit_refused": 0,
        "failures": ["TimeoutError: not admitted within 60 s"],
        "wait_p50_ms": 4.0,
        "wait_p99_ms": 5.0,
        "total_p50_ms": 9.0,
        "total_p99_ms": 12.0,
    }
    aiortc = {"pairs": 2, "connected": 2, "failures": [], "p50_ms": 80.0, "p99_ms": 90.0, "max_ms": 90.0}
    report = {
        "sizes": {"idle": [], "rates": [], "setups": [], "admits": [(3, 0)]},
        "targets": {"ours": {**empty, "admits": [admits], "aiortc": aiortc}, "bare": empty},
    }
    rendered = run.table(report)
    assert "| 3 recipients arriving at once, waiting room to admitted: p50 ms | 4.00 | – | – | – |" in rendered
    assert "| 2 aiortc pairs, offer to connected: max ms | 90.00 | – | – | – |" in rendered
    assert (
        "- ours: 2 of 3 waiting recipients admitted (0 admits refused; TimeoutError: not admitted within 60 s)"
        in rendered
    )
    assert "aiortc pairs connected" not in rendered


@pytest.mark.postgres
@pytest.mark.redis
async def test_layouts_set_up_and_admit_on_postgres_and_on_two_nodes_sharing_redis(
    redis: tuple[aioredis.Redis, str],
) -> None:
    """Every set-up and admission completes on (a) on PostgreSQL and on two nodes with Redis
    (caseworker on node 0, recipient on node 1), next to the embedded figures; the schemas
    are dropped after. Counts only, no timings."""
    need(_port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    _, prefix = redis
    schema = f"t_{secrets.token_hex(6)}"
    backends = layouts.Backends(postgres_dsn=PG_DSN, redis_url=REDIS_URL, schema=schema, redis_prefix=prefix)
    sizes = replace(run.Sizes.tiny(), idle=[], rates=[], aiortc_pairs=0, browser_calls=0)
    assert sizes.layouts  # on in every size
    report = await run.run(sizes, ["ours"], backends)

    found = report["layouts"]
    assert [found[key]["nodes"] for key, _ in layouts.LAYOUTS] == [1, 2]
    for key, _ in layouts.LAYOUTS:
        [setups] = found[key]["setups"]
        assert (setups["calls"], setups["completed"], setups["failures"]) == (5, 5, [])
        assert [(a["recipients"], a["rate"]) for a in found[key]["admits"]] == [(5, 20), (5, 0)]
        for admits in found[key]["admits"]:
            assert (admits["admitted"], admits["admit_refused"], admits["failures"]) == (5, 0, [])
    [embedded] = report["targets"]["ours"]["setups"]
    assert embedded["completed"] == 5
    assert set(report["layout_ratios"]) == {"postgres/embedded", "nodes/embedded"}

    rendered = run.layout_table(report)
    assert "| embedded (SQLite, 1 node) | PostgreSQL (1 node) | 2 nodes + Redis (PostgreSQL) |" in rendered
    labels = [line.split(" | ")[0] for line in rendered.splitlines() if line.startswith("| ") and " ms |" in line]
    assert labels == [
        "| 5 simultaneous call set-ups: p50 ms",
        "| 5 simultaneous call set-ups: p99 ms",
        *(
            f"| 5 recipients {arriving}, {what}: {q} ms"
            for arriving in ("arriving 20/s", "arriving at once")
            for what in ("waiting room to admitted", "connect start to admitted")
            for q in ("p50", "p99")
        ),
    ]
    assert "–" not in rendered.split("\n\n")[1]  # every cell of every column has a figure
    conn = await asyncpg.connect(PG_DSN)
    try:
        left = await conn.fetch(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1", f"{schema}%"
        )
    finally:
        await conn.close()
    assert left == []
