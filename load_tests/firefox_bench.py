"""Firefox beside Chromium, measured: the recipient in Firefox ESR, the caseworker in Chromium.

- ``admissions``: as ``load_tests.browser.admissions`` (click on "Zulassen" until remote
  video plays on both pages), with the recipient's page in Firefox.
- ``data_modes``: one call; per data-saving mode chosen on the Firefox page, the bytes per
  minute both ways as each page's own counter (``vbDataSaver.sample``) reads them over a
  window. The bounds (docs/performance.md, "Data used by a call"): "Wenig Daten" at most
  1.5 MB a minute, "Nur Ton" at most 0.5; reported beside the figures, not asserted.

``python -m load_tests.firefox_bench [--calls N]`` runs both against a fresh "ours" target,
with Chromium-only admissions interleaved for the comparison, and prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from load_tests import firefox
from load_tests.browser import ARGS, CHROMIUM, CLICK, PHASES, TIMEOUT_MS, VIDEO, _cookies
from load_tests.harness import percentile
from load_tests.targets import Guest, Target

__all__ = ["BOUNDS_MB", "admissions", "available", "data_modes"]

BOUNDS_MB = {"low": 1.5, "audio": 0.5}
WINDOW_SECONDS = 15
SETTLE_SECONDS = 3
RATE = """async (ms) => {
  const first = await window.vbDataSaver.sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const last = await window.vbDataSaver.sample();
  return ((last.bytes - first.bytes) / (last.at - first.at)) * 60000;
}"""
APPLIED = "(mode) => window.vbDataSaver.sending() === mode && window.vbDataSaver.applied()"


def available() -> bool:
    return firefox.available() and CHROMIUM.exists()


async def _start_firefox() -> firefox.FirefoxProcess:
    process = await asyncio.to_thread(firefox.FirefoxProcess().start)
    await process.warm_up()
    return process


async def _call(pw_browser: Any, ff: firefox.Firefox, target: Target, guest: Guest) -> tuple[Any, Any, Any, float]:
    """Admit ``guest`` (waiting in Firefox) from a Chromium dashboard; the click's epoch ms."""
    assert target.dashboard is not None
    session = guest.auth["session"]
    cw_ctx = await pw_browser.new_context()
    await cw_ctx.add_cookies(_cookies(target.dashboard, target.url))
    cw = await cw_ctx.new_page()
    rc = await ff.new_page()
    host = urlsplit(target.url).hostname or "127.0.0.1"
    await rc.add_cookies(host, {c["name"]: c["value"] for c in _cookies(guest, target.url)})
    await rc.goto(f"{target.url}/s/{session}/wait")
    await cw.goto(f"{target.url}/dashboard")
    button = f"section.session[data-session='{session}'] .waiting-list li button[data-action='lobby.admit']"
    await cw.locator(button).first.wait_for(timeout=TIMEOUT_MS)
    clicked = float(await cw.evaluate(CLICK, button))
    await cw.wait_for_url("**/call", timeout=TIMEOUT_MS)
    await rc.wait_for_url("*/call", timeout=TIMEOUT_MS / 1000)
    await cw.wait_for_function(VIDEO, timeout=TIMEOUT_MS)
    await rc.wait_for_function(VIDEO, timeout=TIMEOUT_MS / 1000)
    return cw_ctx, cw, rc, clicked


async def admissions(
    target: Target, guests: list[Guest], process: firefox.FirefoxProcess | None = None
) -> dict[str, Any]:
    """Admit each waiting ``guest`` (in Firefox) from the caseworker's Chromium page, one after the other.

    On ``process`` if given (left running), else on a Firefox of its own.
    """
    from playwright.async_api import async_playwright

    times: list[float] = []
    failures: list[str] = []
    own = process is None
    process = process or await _start_firefox()
    try:
        async with async_playwright() as pw:
            pw_browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                for guest in guests:
                    ff = await firefox.Firefox(process).start()
                    cw_ctx = None
                    try:
                        cw_ctx, cw, rc, clicked = await _call(pw_browser, ff, target, guest)
                        video = [(await page.evaluate(PHASES)).get("video") for page in (cw, rc)]
                        times.append(max(v for v in video if v is not None) - clicked)
                    except Exception as exc:  # a failed call is reported under the table, not fatal
                        failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
                    finally:
                        if cw_ctx is not None:
                            await cw_ctx.close()
                        await ff.close()
            finally:
                await pw_browser.close()
    finally:
        if own:
            await asyncio.to_thread(process.close)
    return {
        "calls": len(guests),
        "connected": len(times),
        "p50_ms": _ms(percentile(times, 0.50)),
        "max_ms": _ms(max(times, default=None)),
        "failures": failures,
    }


async def data_modes(target: Target, guest: Guest) -> dict[str, Any]:
    """MB per minute, both ways, on the Firefox and the Chromium page, per mode chosen in Firefox."""
    from playwright.async_api import async_playwright

    found: dict[str, Any] = {"bounds_mb": BOUNDS_MB, "window_s": WINDOW_SECONDS}
    process = await _start_firefox()
    try:
        async with async_playwright() as pw:
            pw_browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            ff = await firefox.Firefox(process).start()
            try:
                _ctx, cw, rc, _clicked = await _call(pw_browser, ff, target, guest)
                await rc.wait_for_function("() => window.vbDataSaver && window.vbDataSaver.connected()", timeout=15)
                for mode in ("normal", "low", "audio"):
                    await rc.select_option("#datamode", mode)
                    await rc.wait_for_function(APPLIED, arg=mode, timeout=15)
                    await cw.wait_for_function(APPLIED, arg=mode, timeout=15_000)
                    await asyncio.sleep(SETTLE_SECONDS)  # a measurement window, not a synchronisation
                    ms = WINDOW_SECONDS * 1000
                    ff_rate, cr_rate = await asyncio.gather(rc.evaluate(RATE, ms), cw.evaluate(RATE, ms))
                    found[mode] = {"firefox_mb": round(ff_rate / 1e6, 2), "chromium_mb": round(cr_rate / 1e6, 2)}
            finally:
                await ff.close()
                await pw_browser.close()
    finally:
        await asyncio.to_thread(process.close)
    return found


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def _main(calls: int) -> dict[str, Any]:
    from load_tests import browser, targets

    with tempfile.TemporaryDirectory(prefix="vb-firefox-bench-") as tmp:
        target = await targets.ours(Path(tmp) / "ours", 1, waiting=2 * calls + 1)
        process = await _start_firefox()
        try:
            await target.restart()
            guests = iter(target.waiting)
            # Interleaved one call at a time, so that both engines meet the same machine load.
            chromium: list[float] = []
            in_firefox: list[float] = []
            failures: list[str] = []
            for _ in range(calls):
                c = await browser.admissions(target, [next(guests)])
                f = await admissions(target, [next(guests)], process)
                chromium += [c["p50_ms"]] if c["p50_ms"] is not None else []
                in_firefox += [f["p50_ms"]] if f["p50_ms"] is not None else []
                failures += c["failures"] + f["failures"]
            modes = await data_modes(target, next(guests))
        finally:
            await asyncio.to_thread(process.close)
            await target.dispose()
    return {
        "calls": calls,
        "chromium_p50_ms": _ms(percentile(chromium, 0.5)),
        "firefox_recipient_p50_ms": _ms(percentile(in_firefox, 0.5)),
        "chromium_ms": chromium,
        "firefox_recipient_ms": in_firefox,
        "data_modes": modes,
        "failures": failures,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m load_tests.firefox_bench")
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_main(args.calls)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
