"""What a person feels, measured in a real headless Chromium with fake camera and microphone.

Two scenarios against a running "ours" target:

- ``admissions``: a recipient waits on the real waiting-room page, the caseworker's real
  dashboard shows them; timed from the caseworker's click on "Zulassen" until remote
  video plays (``videoWidth > 0``) on both pages. Calls run one after the other, as a
  caseworker makes them.
- ``pages``: the recipient's pages (landing, consent, waiting room, call) loaded cold (no
  cache) under an emulated slow mobile connection through the Chrome DevTools protocol:
  WebPageTest's "3G Slow" profile, 400 kbit/s each way and 400 ms round trip. Per page the
  bytes on the wire (every request, compressed as sent) and the time until usable
  (``DOMContentLoaded``: the HTML parsed and every deferred script run, so the buttons
  work) and until ``load``.

Playwright drives ``/usr/bin/chromium``; nothing downloads a browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from load_tests.harness import percentile
from load_tests.targets import Guest, Target

__all__ = ["CHROMIUM", "SLOW_3G", "admissions", "available", "pages"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
# WebPageTest's "3G Slow": 400 kbit/s down and up, 400 ms round-trip time.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
VIDEO = "() => { const v = document.querySelector('#remote'); return !!v && v.videoWidth > 0; }"
TIMEOUT_MS = 30_000
# When each step of a call page happened (epoch ms): its navigation, the HTML's arrival,
# DOMContentLoaded, and
# call.js's performance marks (camera, socket, call.peers, first offer, connected, video).
PHASES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const at = (t) => performance.timeOrigin + t;
  const found = {
    navigation: performance.timeOrigin,
    html: nav ? at(nav.responseEnd) : null,
    dcl: nav ? at(nav.domContentLoadedEventEnd) : null,
  };
  for (const m of performance.getEntriesByType("mark")) {
    if (m.name.startsWith("vb:")) found[m.name.slice(3)] = at(m.startTime);
  }
  return found;
}"""
# The click as a person makes it: the button's own click, stamped in the page (Playwright's
# click first scrolls, waits for the button to be stable and hit-tests it: not the person's time).
CLICK = "(sel) => { const at = performance.timeOrigin + performance.now(); document.querySelector(sel).click(); return at; }"


def available() -> bool:
    return CHROMIUM.exists()


def _cookies(guest: Guest, url: str) -> list[dict[str, Any]]:
    found = []
    for part in guest.headers.get("Cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found.append({"name": name, "value": value, "url": url})
    return found


async def _launch(pw: Any) -> Any:
    return await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)


async def admissions(target: Target, guests: list[Guest]) -> dict[str, Any]:
    """Admit each waiting ``guest`` from the caseworker's page; ms from click to video both ways."""
    from playwright.async_api import async_playwright

    assert target.dashboard is not None
    times: list[float] = []
    arrived: list[float] = []  # click until both call pages have loaded, before any media
    failures: list[str] = []
    # Per page: ms from the click to each step (phases).
    steps: dict[str, dict[str, list[float]]] = {"caseworker": {}, "recipient": {}}
    async with async_playwright() as pw:
        browser = await _launch(pw)
        try:
            for guest in guests:
                session = guest.auth["session"]
                cw_ctx = await browser.new_context()
                rc_ctx = await browser.new_context(**PHONE)
                try:
                    await cw_ctx.add_cookies(_cookies(target.dashboard, target.url))
                    await rc_ctx.add_cookies(_cookies(guest, target.url))
                    cw, rc = await cw_ctx.new_page(), await rc_ctx.new_page()
                    await rc.goto(f"{target.url}/s/{session}/wait")
                    await cw.goto(f"{target.url}/dashboard")
                    button = (
                        f"section.session[data-session='{session}'] .waiting-list li button[data-action='lobby.admit']"
                    )
                    await cw.locator(button).first.wait_for(timeout=TIMEOUT_MS)
                    clicked = float(await cw.evaluate(CLICK, button))
                    await cw.wait_for_url("**/call", timeout=TIMEOUT_MS)
                    await rc.wait_for_url("**/call", timeout=TIMEOUT_MS)
                    await cw.wait_for_function(VIDEO, timeout=TIMEOUT_MS)
                    await rc.wait_for_function(VIDEO, timeout=TIMEOUT_MS)
                    found = {
                        side: await page.evaluate(PHASES) for side, page in (("caseworker", cw), ("recipient", rc))
                    }
                    for side, phases in found.items():
                        for step, at in phases.items():
                            if at is not None:
                                steps[side].setdefault(step, []).append(at - clicked)
                    # The pages' own stamps: the first decoded frame on each, both documents loaded.
                    times.append(max(p["video"] for p in found.values()) - clicked)
                    arrived.append(max(p["dcl"] for p in found.values()) - clicked)
                except Exception as exc:  # a failed call is reported under the table, not fatal
                    failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
                finally:
                    await cw_ctx.close()
                    await rc_ctx.close()
        finally:
            await browser.close()
    return {
        "calls": len(guests),
        "connected": len(times),
        "p50_ms": _ms(percentile(times, 0.50)),
        "p99_ms": _ms(percentile(times, 0.99)),
        "max_ms": _ms(max(times, default=None)),
        "pages_p50_ms": _ms(percentile(arrived, 0.50)),
        "steps_p50_ms": {
            side: {step: _ms(percentile(values, 0.50)) for step, values in found.items()}
            for side, found in steps.items()
        },
        "failures": failures,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def _load(context: Any, url: str, cached: bool = False) -> dict[str, Any]:
    """One page load under ``SLOW_3G``: bytes on the wire and milliseconds until usable;
    cold, or with the browser cache as ``context`` left it (``cached``)."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": not cached})
    await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    try:
        await page.goto(url, wait_until="load", timeout=60_000)
        timing = await page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {usable: n.domContentLoadedEventEnd, load: n.loadEventEnd, path: location.pathname}; })()"
        )
    finally:
        await page.close()
    return {
        "path": timing["path"],
        "bytes": int(sum(sizes.values())),
        "requests": len(sizes),
        "usable_ms": round(timing["usable"], 1),
        "load_ms": round(timing["load"], 1),
    }


async def pages(target: Target, fresh: Guest, waiting: Guest, admitted: Guest) -> list[dict[str, Any]]:
    """The recipient's pages as a phone on a slow connection loads them, cold, one by one.

    ``fresh`` has not consented yet (landing, consent), ``waiting`` has and waits, and
    ``admitted`` is in a call.
    """
    from playwright.async_api import async_playwright

    found: list[dict[str, Any]] = []
    async with async_playwright() as pw:
        browser = await _launch(pw)
        try:
            for guest, paths in ((fresh, ("", "/consent")), (waiting, ("/wait",)), (admitted, ("/call",))):
                session = guest.auth["session"]
                for path in paths:
                    context = await browser.new_context(**PHONE)
                    try:
                        await context.add_cookies(_cookies(guest, target.url))
                        result = await _load(context, f"{target.url}/s/{session}{path}")
                        result["page"] = {"": "landing", "/consent": "consent", "/wait": "waiting room"}.get(
                            path, "call"
                        )
                        found.append(result)
                        if path == "/call":
                            # As the call page loads after the waiting room, which fetched its
                            # modules into the cache while the person waited (page.js).
                            result = await _load(context, f"{target.url}/s/{session}{path}", cached=True)
                            result["page"] = "call, modules prefetched"
                            found.append(result)
                    finally:
                        await context.close()
        finally:
            await browser.close()
    return found
