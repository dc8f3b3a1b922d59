"""Safari's engine for real: WebKitGTK (Debian's MiniBrowser, driven by WebKitWebDriver over
plain W3C WebDriver HTTP) opens an invitation. This build has no RTCPeerConnection, so the
landing page must tell the person to open the link in another browser.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from rooms.attempts import EventKind
from storage import attempts
from tests.conftest import _ends_with_parent, need
from tests.test_browser import _caseworker_creates_session
from web.keys import DB

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

DRIVER = Path("/usr/bin/WebKitWebDriver")
XVFB = Path("/usr/bin/Xvfb")
MINIBROWSER = Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
CAPABILITIES = {
    "browserName": "MiniBrowser",
    "webkitgtk:browserOptions": {
        "binary": str(MINIBROWSER),
        "args": ["--automation", "--enable-media-stream=true", "--enable-mock-capture-devices=true"],
    },
}


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def display() -> Iterator[str]:
    """An X server of this test's own (WebKitGTK needs one even without a screen)."""
    need(XVFB.exists() and DRIVER.exists() and MINIBROWSER.exists(), "Xvfb, WebKitWebDriver and MiniBrowser")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [str(XVFB), "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_ends_with_parent,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()  # written once the server is ready
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        _stop(proc)


class WebKit:
    """One W3C WebDriver session of MiniBrowser."""

    def __init__(self, http: aiohttp.ClientSession, base: str, session_id: str) -> None:
        self.http, self.url = http, f"{base}/session/{session_id}"

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, f"{self.url}{path}", json=body) as response:
            answer = await response.json()
        assert response.status == 200, answer
        return answer["value"]

    async def goto(self, url: str) -> None:
        await self._call("POST", "/url", {"url": url})

    async def evaluate(self, script: str, *args: Any) -> Any:
        """The script's value; a returned promise is awaited (W3C Execute Script)."""
        return await self._call("POST", "/execute/sync", {"script": script, "args": list(args)})


@pytest.fixture
def driver(display: str) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """WebKitWebDriver on a free port of its own: its base URL and process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DISPLAY": display, "WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS": "1"}
    proc = subprocess.Popen(
        [str(DRIVER), f"--port={port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_ends_with_parent,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        _stop(proc)


@pytest.fixture
async def webkit(driver: tuple[str, subprocess.Popen[Any]]) -> AsyncIterator[WebKit]:
    base, proc = driver
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        for _attempt in range(100):  # the driver listens within a moment
            try:
                async with http.get(f"{base}/status") as status:
                    if status.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await _driver_starting(proc)
        body = {"capabilities": {"alwaysMatch": CAPABILITIES}}
        async with http.post(f"{base}/session", json=body) as response:
            created = await response.json()
        assert response.status == 200, created
        browser = WebKit(http, base, created["value"]["sessionId"])
        try:
            yield browser
        finally:
            await browser._call("DELETE", "")


async def _driver_starting(driver: subprocess.Popen[Any]) -> None:
    assert driver.poll() is None, "WebKitWebDriver exited"
    await asyncio.sleep(0.1)  # no event to await: the driver's port opens when it is ready


# Shown, and its class reported to the attempt log.
VISIBLE = """
return new Promise((resolve) => {
  const shown = () => {
    const box = document.getElementById("unsupported");
    return box && !box.hidden && box.dataset.reported === "true";
  };
  if (shown()) return resolve(true);
  new MutationObserver((_, observer) => { if (shown()) { observer.disconnect(); resolve(true); } })
    .observe(document.documentElement, { subtree: true, attributes: true, childList: true });
});
"""


async def test_webkit_without_webrtc_is_told_on_the_landing_page(
    browser: Any, server: Any, app: Any, webkit: WebKit
) -> None:
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    await webkit.goto(link)
    assert await webkit.evaluate("return typeof RTCPeerConnection") == "undefined"
    assert await webkit.evaluate(VISIBLE) is True
    page = await webkit.evaluate(
        """return {
          path: location.pathname,
          reason: document.getElementById("unsupported").dataset.reason,
          title: document.getElementById("unsupported-title").textContent,
          text: document.getElementById("unsupported").textContent,
          link: document.getElementById("unsupported-link").value,
          fallback: document.getElementById("unsupported-fallback").getAttribute("href"),
        };"""
    )
    assert page["reason"] == "no_webrtc"
    assert page["title"] == "Dieser Browser kann keine Videoanrufe führen"
    assert "Safari, Chrome oder Firefox" in page["text"]
    assert page["link"].startswith(f"{base}/join/")
    session_id = page["path"].rstrip("/").rsplit("/", 1)[1]
    assert page["fallback"] == f"/s/{session_id}/fallback?reason=browser"
    async with app[DB]() as db:
        events = [e for _pid, e in await attempts.events_of(db, session_id) if e.kind is EventKind.BROWSER]
    assert [(e.role, e.detail) for e in events] == [("recipient", "no_webrtc")]
