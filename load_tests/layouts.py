"""Production layouts of (a), next to the embedded default: set-ups and admissions.

- **PostgreSQL**: one ``videoberatung serve`` on PostgreSQL (``DATABASE_URL``
  ``postgresql+asyncpg://…``, ``DATABASE_SCHEMA`` a schema of its own, dropped after).
- **2 nodes + Redis**: two ``serve`` processes on their own ports, sharing a second
  PostgreSQL schema and Redis (``REDIS_URL``, ``REDIS_PREFIX`` of their own; the keys are
  deleted after), as ``docs/deployment.md`` describes several nodes. The caseworker's
  sockets are on node 0 and the recipient's on node 1, so relaying, lobby updates and
  admissions cross Redis.

The embedded column is the "ours" figures of the same run (``Sizes.setups`` and
``Sizes.admits``); the layouts run the same scenarios with the same sizes, interleaved
between the two layouts, each on a freshly started target.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from load_tests import admissions, harness, targets

# key in the report, column heading
LAYOUTS = (("postgres", "PostgreSQL (1 node)"), ("nodes", "2 nodes + Redis (PostgreSQL)"))
EMBEDDED = "embedded (SQLite, 1 node)"


@dataclass
class Backends:
    """Where the layouts keep their state, and under which names (the test suite passes its own)."""

    postgres_dsn: str = targets.POSTGRES_DSN
    redis_url: str = targets.REDIS_URL
    # The PostgreSQL layout's schema; the two-node layout's is this with ``_nodes``.
    schema: str = field(default_factory=lambda: f"bench_{secrets.token_hex(6)}")
    redis_prefix: str = field(default_factory=lambda: f"bench{secrets.token_hex(6)}")


async def run(
    setups: list[int],
    admits: list[tuple[int, float]],
    workdir: Path,
    http: aiohttp.ClientSession,
    backends: Backends,
    fresh_per_scenario: bool = True,
) -> dict[str, Any]:
    """Both layouts through ``setups`` and ``admits``; every target disposed of at the end."""
    pairs = max([5, *setups])
    waiting = sum(n for n, _ in admits)
    made: dict[str, targets.Target] = {}
    try:
        made["postgres"] = await targets.ours(
            workdir / "postgres",
            pairs,
            waiting,
            postgres_schema=backends.schema,
            name="ours (PostgreSQL)",
            postgres_dsn=backends.postgres_dsn,
        )
        made["nodes"] = await targets.ours(
            workdir / "nodes",
            pairs,
            waiting,
            postgres_schema=f"{backends.schema}_nodes",
            redis_nodes=2,
            name="ours (2 nodes + Redis)",
            postgres_dsn=backends.postgres_dsn,
            redis_url=backends.redis_url,
            redis_prefix=backends.redis_prefix,
        )
        results: dict[str, Any] = {
            key: {"name": t.name, "nodes": len(t.nodes), "setups": [], "admits": []} for key, t in made.items()
        }
        for calls in setups:
            for key, t in made.items():
                await t.ready(fresh_per_scenario)
                results[key]["setups"].append(await harness.setups(t, http, calls))
        guests = {key: iter(t.waiting) for key, t in made.items()}
        for n, rate in admits:
            for key, t in made.items():
                await t.ready(fresh_per_scenario)
                chosen = [next(guests[key]) for _ in range(n)]
                results[key]["admits"].append(await admissions.admits(t, http, chosen, rate))
    finally:
        await asyncio.gather(*(t.dispose() for t in made.values()))
    return results


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 2)


def _rows(report: dict[str, Any]) -> list[tuple[str, list[float | None]]]:
    """(label, [embedded, postgres, nodes]) for every figure of the layouts."""
    found = report["layouts"]
    ours = report.get("targets", {}).get("ours", {})
    columns = [ours, *(found[key] for key, _ in LAYOUTS)]
    rows: list[tuple[str, list[float | None]]] = []

    def setup(result: dict[str, Any], calls: int) -> dict[str, Any]:
        return next((r for r in result.get("setups", []) if r["calls"] == calls), {})

    def admit(result: dict[str, Any], n: int, rate: float) -> dict[str, Any]:
        return next((r for r in result.get("admits", []) if (r["recipients"], r["rate"]) == (n, rate)), {})

    for r in found[LAYOUTS[0][0]]["setups"]:
        calls = r["calls"]
        for q in ("p50", "p99"):
            rows.append(
                (f"{calls} simultaneous call set-ups: {q} ms", [setup(c, calls).get(f"{q}_ms") for c in columns])
            )
    for r in found[LAYOUTS[0][0]]["admits"]:
        n, rate = r["recipients"], r["rate"]
        arriving = f"arriving {rate:g}/s" if rate else "arriving at once"
        for what, key in (("waiting room to admitted", "wait"), ("connect start to admitted", "total")):
            for q in ("p50", "p99"):
                values = [admit(c, n, rate).get(f"{key}_{q}_ms") for c in columns]
                rows.append((f"{n} recipients {arriving}, {what}: {q} ms", values))
    return rows


def ratios(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each layout's figure over the embedded one, per row of the table."""
    rows = _rows(report)
    return {
        f"{key}/embedded": {label: _ratio(values[i + 1], values[0]) for label, values in rows}
        for i, (key, _) in enumerate(LAYOUTS)
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def table(report: dict[str, Any]) -> str:
    """The markdown table: embedded | PostgreSQL | 2 nodes + Redis, and ratios vs embedded."""
    heads = [EMBEDDED, *(label for _, label in LAYOUTS)]
    rows = [
        "| scenario | " + " | ".join(heads) + " | PostgreSQL / embedded | 2 nodes / embedded |",
        "|---|" + "---|" * (len(heads) + 2),
    ]
    for label, values in _rows(report):
        ratio = [_ratio(v, values[0]) for v in values[1:]]
        rows.append(f"| {label} | " + " | ".join(_fmt(v) for v in [*values, *ratio]) + " |")
    notes: list[str] = []
    for key, label in LAYOUTS:
        result = report["layouts"][key]
        for r in result["setups"]:
            if r["completed"] < r["calls"]:
                notes.append(
                    f"- {label}: {r['completed']} of {r['calls']} set-ups completed ({'; '.join(r['failures'])})"
                )
            if r.get("discarded"):
                notes.append(f"- {label}, {r['calls']} set-ups: discarded ({r['discarded']})")
        for r in result["admits"]:
            if r["admitted"] < r["recipients"] or r["admit_refused"]:
                notes.append(
                    f"- {label}: {r['admitted']} of {r['recipients']} waiting recipients admitted"
                    f" ({r['admit_refused']} admits refused; {'; '.join(r['failures'])})"
                )
            if r.get("discarded"):
                notes.append(f"- {label}, {r['recipients']} recipients: discarded ({r['discarded']})")
    return (
        "Production layouts of (a) (`load_tests/layouts.py`):\n\n"
        + "\n".join(rows)
        + "\n\n"
        + ("Incomplete or discarded:\n" + "\n".join(notes) if notes else "Every set-up and admission completed.")
        + "\n"
    )
