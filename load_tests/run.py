"""One benchmark run: every scenario against every target, order interleaved, ratios a/b and a/c."""

from __future__ import annotations

import asyncio
import json
import platform
import resource
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

from load_tests import admissions, browser, firefox_bench, harness, layouts, peers, targets

RESULTS = Path(__file__).parent / "results"
DOC = Path(__file__).parent.parent / "docs" / "performance.md"


@dataclass
class Sizes:
    idle: list[int] = field(default_factory=lambda: [1000, 5000, 10000, 20000])
    pairs: int = 500
    rates: list[float] = field(default_factory=lambda: [100, 500, 1000, 2000])
    seconds: float = 10.0
    setups: list[int] = field(default_factory=lambda: [50, 200, 500])
    # "ours" only: (recipients, arrivals per second; 0 = all at once) through the waiting
    # room, and aiortc call pairs.
    admits: list[tuple[int, float]] = field(
        default_factory=lambda: [(50, 10), (200, 10), (500, 10), (50, 0), (200, 0), (500, 0)]
    )
    aiortc_pairs: int = 10
    # "ours" only: real Chromium call set-ups, admit click to video on both pages.
    browser_calls: int = 10
    # "ours" only: as many calls with the recipient in Firefox ESR, and each data mode's MB
    # per minute in Firefox (load_tests/firefox_bench.py).
    firefox: bool = True
    # "ours" only: set-ups and admissions again on PostgreSQL and on two nodes with Redis
    # (load_tests/layouts.py), the same sizes as above.
    layouts: bool = True
    # A freshly started server for every scenario (what the figures need); the suite's
    # smoke (``tiny``) starts each once: it checks that the harness works, it measures nothing.
    fresh_per_scenario: bool = True

    @classmethod
    def small(cls) -> Sizes:
        return cls(
            idle=[200, 1000],
            pairs=50,
            rates=[100, 300],
            seconds=3.0,
            setups=[20, 50],
            admits=[(20, 10), (50, 10), (20, 0), (50, 0)],
        )

    @classmethod
    def tiny(cls) -> Sizes:
        """What the test suite runs: checks the harness works, measures nothing."""
        return cls(
            idle=[20],
            pairs=10,
            rates=[50],
            seconds=1.0,
            setups=[5],
            admits=[(5, 20), (5, 0)],
            aiortc_pairs=2,
            browser_calls=2,
            firefox=False,  # tests/test_firefox.py drives Firefox in the suite
            fresh_per_scenario=False,
        )


def _raise_open_files() -> int | None:
    """Raise this process's open-file limit to the hard limit (children inherit it); return it.

    None when there is no limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return None
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _within(limit: int | None, connections: int) -> int:
    """Client and server each hold one descriptor per connection: where ``limit`` is lower
    than the scenario (20,000 here), the largest count in hundreds below it is measured."""
    if limit is None or connections + 200 <= limit:
        return connections
    return (limit - 200) // 100 * 100


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("python-socketio", "python-engineio", "aiohttp", "uvloop"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "absent"
    return found


async def run(sizes: Sizes, names: list[str], backends: layouts.Backends | None = None) -> dict[str, Any]:
    """Start each target, run the scenarios on all of them in turn (interleaved per scenario).

    With ``sizes.layouts`` and "ours" among ``names``, then the production layouts, in
    PostgreSQL and Redis as ``backends`` says (default: bench-named schemas and prefix).
    """
    found_layouts: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="vb-bench-") as tmp:
        made: list[targets.Target] = []
        for name in names:
            if name == "ours":
                need = max([sizes.pairs, *sizes.setups, sizes.aiortc_pairs, *(n // 2 for n in sizes.idle)])
                # Admission is for good: every waiting-room run needs recipients of its own,
                # and so does each browser call (plus one for the waiting-room page load).
                # Firefox (recipient) calls as many as Chromium's, and one for the data modes.
                waiting = sum(n for n, _ in sizes.admits) + (2 if sizes.firefox else 1) * sizes.browser_calls + 2
                made.append(await targets.ours(Path(tmp) / "ours", need, waiting=waiting, fresh=1))
            elif name == "bare":
                made.append(targets.bare())
            elif name == "node":
                targets.npm_install()
                made.append(targets.node())
        results: dict[str, dict[str, Any]] = {t.name: {"idle": [], "relay": [], "setups": []} for t in made}
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
                # Every measurement on a freshly started target: one scenario's closed
                # sockets leave work behind (in ours, a rejoin-grace timer each) and freed
                # memory that would flatter the next.
                for count in sizes.idle:
                    for t in made:
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["idle"].append(await harness.idle(t, http, count))
                for rate in sizes.rates:
                    for t in made:
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["relay"].append(await harness.relay(t, http, sizes.pairs, rate, sizes.seconds))
                for calls in sizes.setups:
                    for t in made:
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["setups"].append(await harness.setups(t, http, calls))
                for t in made:
                    if t.name != "ours":
                        continue  # (b) and (c) have no waiting room and are not what we ship
                    guests = iter(t.waiting)
                    results[t.name]["admits"] = []
                    for n, rate in sizes.admits:
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["admits"].append(
                            await admissions.admits(t, http, [next(guests) for _ in range(n)], rate)
                        )
                    if sizes.aiortc_pairs:
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["aiortc"] = await peers.calls(t, http, sizes.aiortc_pairs)
                    if sizes.browser_calls and browser.available():
                        await t.ready(sizes.fresh_per_scenario)
                        page_guest = next(guests)
                        results[t.name]["browser"] = await browser.admissions(
                            t, [next(guests) for _ in range(sizes.browser_calls)]
                        )
                        recipient = t.pairs[0]
                        admitted = targets.Guest(recipient.headers[1], recipient.auth[1])
                        results[t.name]["pages"] = await browser.pages(t, t.fresh[0], page_guest, admitted)
                    if sizes.firefox and sizes.browser_calls and firefox_bench.available():
                        await t.ready(sizes.fresh_per_scenario)
                        results[t.name]["firefox"] = await firefox_bench.admissions(
                            t, [next(guests) for _ in range(sizes.browser_calls)]
                        )
                        results[t.name]["firefox_modes"] = await firefox_bench.data_modes(t, next(guests))
                if sizes.layouts and "ours" in results:
                    await asyncio.gather(*(t.stop() for t in made))  # the layouts have the machine to themselves
                    found_layouts = await layouts.run(
                        sizes.setups,
                        sizes.admits,
                        Path(tmp) / "layouts",
                        http,
                        backends or layouts.Backends(),
                        fresh_per_scenario=sizes.fresh_per_scenario,
                    )
        finally:
            await asyncio.gather(*(t.dispose() for t in made))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "platform": platform.platform(), "node": _node_version()},
        "versions": _versions(),
        "sizes": asdict(sizes),
        "targets": results,
        "ratios": ratios(results),
    }
    if found_layouts is not None:
        report["layouts"] = found_layouts
        report["layout_ratios"] = layouts.ratios(report)
    return report


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _node_version() -> str | None:
    import subprocess

    if not targets.node_available():
        return None
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 2)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ours = results.get("ours")
    if ours is None:
        return {}
    found: dict[str, Any] = {}
    for base in ("bare", "node"):
        other = results.get(base)
        if other is None:
            continue
        found[f"ours/{base}"] = {
            "idle_kib_per_connection": [
                _ratio(x["kib_per_connection"], y["kib_per_connection"])
                for x, y in zip(ours["idle"], other["idle"], strict=True)
            ],
            "relay_p99": [_ratio(x["p99_ms"], y["p99_ms"]) for x, y in zip(ours["relay"], other["relay"], strict=True)],
            "cpu_ms_per_1000": [
                _ratio(x["server_cpu_ms_per_1000"], y["server_cpu_ms_per_1000"])
                for x, y in zip(ours["relay"], other["relay"], strict=True)
            ],
            "setup_p99": [
                _ratio(x["p99_ms"], y["p99_ms"]) for x, y in zip(ours["setups"], other["setups"], strict=True)
            ],
            "setup_cpu_ms": [
                _ratio(x.get("server_cpu_ms_per_set_up"), y.get("server_cpu_ms_per_set_up"))
                for x, y in zip(ours["setups"], other["setups"], strict=True)
            ],
        }
    return found


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _as_list(found: Any) -> list[dict[str, Any]]:
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def table(report: dict[str, Any]) -> str:
    """The markdown table of one run: every figure per target, and the ratios."""
    res = report["targets"]
    names = list(res)
    rows = ["| scenario | " + " | ".join(names) + " | a/b | a/c |", "|---|" + "---|" * (len(names) + 2)]

    def line(label: str, values: list[Any]) -> None:
        by = dict(zip(names, values, strict=True))
        rows.append(
            f"| {label} | "
            + " | ".join(_fmt(v) for v in values)
            + f" | {_fmt(_ratio(by.get('ours'), by.get('bare')))} | {_fmt(_ratio(by.get('ours'), by.get('node')))} |"
        )

    for i, n in enumerate(report["sizes"]["idle"]):
        line(f"idle {n}: KiB PSS per connection", [res[t]["idle"][i]["kib_per_connection"] for t in names])
    for i, rate in enumerate(report["sizes"]["rates"]):
        line(f"relay {rate:g} msg/s: p50 ms", [res[t]["relay"][i]["p50_ms"] for t in names])
        line(f"relay {rate:g} msg/s: p99 ms", [res[t]["relay"][i]["p99_ms"] for t in names])
        line(
            f"relay {rate:g} msg/s: server CPU-ms / 1,000 msgs",
            [res[t]["relay"][i]["server_cpu_ms_per_1000"] for t in names],
        )
    for i, n in enumerate(report["sizes"]["setups"]):
        line(f"{n} simultaneous call set-ups: p50 ms", [res[t]["setups"][i]["p50_ms"] for t in names])
        line(f"{n} simultaneous call set-ups: p99 ms", [res[t]["setups"][i]["p99_ms"] for t in names])
        line(
            f"{n} simultaneous call set-ups: server CPU-ms per set-up",
            [res[t]["setups"][i].get("server_cpu_ms_per_set_up") for t in names],
        )

    def ours_only(value: Any) -> list[Any]:
        return [value if t == "ours" else None for t in names]

    if "admits" in res.get("ours", {}):
        for r in res["ours"]["admits"]:
            n, rate = r["recipients"], r.get("rate", 0)
            arriving = f"arriving {rate:g}/s" if rate else "arriving at once"
            for q in ("p50", "p99"):
                line(f"{n} recipients {arriving}, waiting room to admitted: {q} ms", ours_only(r[f"wait_{q}_ms"]))
            for q in ("p50", "p99"):
                line(f"{n} recipients {arriving}, connect start to admitted: {q} ms", ours_only(r[f"total_{q}_ms"]))
    if "aiortc" in res.get("ours", {}):
        r = res["ours"]["aiortc"]
        for q in ("p50", "p99", "max"):
            line(f"{r['pairs']} aiortc pairs, offer to connected: {q} ms", ours_only(r[f"{q}_ms"]))
    if "browser" in res.get("ours", {}):
        r = res["ours"]["browser"]
        for q in ("p50", "p99"):
            line(f"{r['calls']} Chromium calls, admit click to video on both pages: {q} ms", ours_only(r[f"{q}_ms"]))
        line(
            f"{r['calls']} Chromium calls, admit click to both call pages loaded: p50 ms", ours_only(r["pages_p50_ms"])
        )
    if "firefox" in res.get("ours", {}):
        r = res["ours"]["firefox"]
        line(
            f"{r['calls']} calls, recipient in Firefox, caseworker in Chromium, admit click to video: p50 ms",
            ours_only(r["p50_ms"]),
        )
    modes = res.get("ours", {}).get("firefox_modes", {})
    for mode in ("normal", "low", "audio"):
        if mode in modes:
            bound = modes["bounds_mb"].get(mode)
            limit = f" (bound {bound})" if bound else ""
            for engine in ("firefox", "chromium"):
                line(
                    f"data mode {mode}, {engine} page: MB per minute both ways{limit}",
                    ours_only(modes[mode][f"{engine}_mb"]),
                )
    for r in res.get("ours", {}).get("pages", []):
        line(f"slow 3G, {r['page']} page: KB on the wire", ours_only(round(r["bytes"] / 1000, 1)))
        line(f"slow 3G, {r['page']} page: ms until usable", ours_only(r["usable_ms"]))
    discarded = [
        f"- {t} {kind} #{i + 1}: {r['discarded']}"
        for t in names
        for kind in ("relay", "setups", "admits", "aiortc")
        for i, r in enumerate(_as_list(res[t].get(kind)))
        if r.get("discarded")
    ]
    ours = res.get("ours", {})
    incomplete = [
        f"- ours: {r['admitted']} of {r['recipients']} waiting recipients admitted ({r['admit_refused']} admits refused; {'; '.join(r['failures'])})"
        for r in ours.get("admits", [])
        if r["admitted"] < r["recipients"] or r["admit_refused"]
    ]
    incomplete += [
        f"- {t}: {r['completed']} of {r['calls']} call set-ups completed ({'; '.join(r['failures'])})"
        for t in names
        for r in res[t]["setups"]
        if r.get("completed", r["calls"]) < r["calls"]
    ]
    if "browser" in ours and ours["browser"]["connected"] < ours["browser"]["calls"]:
        r = ours["browser"]
        incomplete.append(
            f"- ours: {r['connected']} of {r['calls']} Chromium calls showed video ({'; '.join(r['failures'])})"
        )
    if "firefox" in ours and ours["firefox"]["connected"] < ours["firefox"]["calls"]:
        r = ours["firefox"]
        incomplete.append(
            f"- ours: {r['connected']} of {r['calls']} Firefox calls showed video ({'; '.join(r['failures'])})"
        )
    if "aiortc" in ours and ours["aiortc"]["connected"] < ours["aiortc"]["pairs"]:
        r = ours["aiortc"]
        incomplete.append(
            f"- ours: {r['connected']} of {r['pairs']} aiortc pairs connected ({'; '.join(r['failures'])})"
        )
    return (
        "\n".join(rows)
        + "\n\n"
        + ("Discarded (client was the bottleneck):\n" + "\n".join(discarded) if discarded else "No run discarded.")
        + ("\n\nIncomplete (figures cover the rest):\n" + "\n".join(incomplete) if incomplete else "")
        + "\n"
    )


def layout_table(report: dict[str, Any]) -> str:
    """The production layouts' table after the main one, or nothing when they did not run."""
    return "\n" + layouts.table(report) if "layouts" in report else ""


def write(report: dict[str, Any], label: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    body = f"{start}\n{label}\n\nRun {report['when']}, {report['machine']['cpus']} CPUs, {report['versions']}, node {report['machine']['node']}.\n\n{table(report)}{layout_table(report)}{end}"
    doc = DOC.read_text() if DOC.exists() else "# Performance\n\n"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + body + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip() + "\n\n" + body + "\n"
    DOC.write_text(doc)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m load_tests")
    parser.add_argument("--size", choices=("full", "small", "tiny"), default="small")
    parser.add_argument("--targets", default="ours,bare,node")
    parser.add_argument("--label", default="")
    parser.add_argument("--no-layouts", action="store_true", help="skip the PostgreSQL and Redis layouts")
    args = parser.parse_args(argv)
    sizes = {"full": Sizes(), "small": Sizes.small(), "tiny": Sizes.tiny()}[args.size]
    limit = _raise_open_files()
    sizes.idle = [_within(limit, n) for n in sizes.idle]
    sizes.layouts = not args.no_layouts
    names = [n for n in args.targets.split(",") if n != "node" or targets.node_available()]
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    report = runner(run(sizes, names))
    write(report, args.label or f"`make bench` ({args.size} run).")
    print(table(report) + layout_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
