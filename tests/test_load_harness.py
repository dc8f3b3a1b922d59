"""The benchmark harness works against every target on a tiny run (about 20 clients). No speed is asserted."""

from __future__ import annotations

import pytest

from load_tests import run, targets
from tests.conftest import need

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("name", ["bare", "ours", "node"])
async def test_harness_runs_every_scenario(name: str) -> None:
    if name == "node":
        need(targets.node_available(), "node and npm")
    report = await run.run(run.Sizes.tiny(), [name])
    result = report["targets"][name]
    [idle] = result["idle"]
    assert idle["connections"] == 20 and idle["pss_kib_after"] > 0
    [relay] = result["relay"]
    assert relay["received"] == relay["sent"] > 0  # every relayed message arrived, through the real auth for "ours"
    assert relay["p99_ms"] is not None and relay["server_cpu_ms_per_1000"] >= 0
    [setups] = result["setups"]
    assert setups["calls"] == 5 and setups["p99_ms"] is not None
    assert "markdown" not in run.table(report)  # renders


def test_ratios_are_ours_over_each_baseline() -> None:
    relay = {"p99_ms": 4.0, "server_cpu_ms_per_1000": 10.0}
    fig = {"idle": [{"kib_per_connection": 3.0}], "relay": [relay], "setups": [{"p99_ms": 8.0}]}
    base = {
        "idle": [{"kib_per_connection": 2.0}],
        "relay": [{"p99_ms": 2.0, "server_cpu_ms_per_1000": 5.0}],
        "setups": [{"p99_ms": 4.0}],
    }
    found = run.ratios({"ours": fig, "bare": base})
    assert found == {
        "ours/bare": {
            "idle_kib_per_connection": [1.5],
            "relay_p99": [2.0],
            "cpu_ms_per_1000": [2.0],
            "setup_p99": [2.0],
        }
    }
