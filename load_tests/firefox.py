"""Headless Firefox ESR driven over WebDriver BiDi, straight from Python (no geckodriver here).

``FirefoxProcess`` starts ``firefox-esr --headless --remote-debugging-port=P`` once (5-8 s)
with a fresh profile whose prefs give it fake camera and microphone, and reads "WebDriver
BiDi listening" from its stderr. ``Firefox`` is one BiDi session on it, on the caller's event
loop: it opens ``ws://127.0.0.1:P/session`` with aiohttp's websocket client. ``new_page``
creates a browsing context in a user context of its own (like a Playwright context: own
cookies). ``FirefoxPage`` offers the few calls the tests need, in Playwright's words:
``goto``, ``evaluate``, ``wait_for_function``, ``wait_for_url``, ``click``, ``fill``,
``check``, ``select_option``, ``tap``, ``set_input_files``, ``url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["Firefox", "FirefoxPage", "FirefoxProcess", "FIREFOX", "BiDiError", "available"]

FIREFOX = "/usr/bin/firefox-esr"
_FUNCTION = re.compile(r"^(async\s*)?((\([^)]*\)|[\w$]+)\s*=>|function\b)")

PREFS = {
    # A German user's browser, as the suite's Chromium: pages without a chosen language follow it.
    "intl.accept_languages": "de-DE, de",
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.peerconnection.ice.no_host": False,
    "network.proxy.type": 0,
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "app.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "extensions.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.region.network.url": "",
    "browser.search.geoip.url": "",
    "services.settings.server": "http://127.0.0.1:9/",
    "remote.prefs.recommended": True,
}


def available() -> bool:
    return Path(FIREFOX).exists()


class BiDiError(Exception):
    """A BiDi command failed, or a script threw."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FirefoxProcess:
    """One headless Firefox process listening for WebDriver BiDi (started once, sessions come and go)."""

    def __init__(
        self,
        executable: str = FIREFOX,
        preexec_fn: Callable[[], None] | None = None,
        prefs: dict[str, Any] | None = None,
    ) -> None:
        self._executable = executable
        self._preexec_fn = preexec_fn  # e.g. the test suite's: end with the parent process
        self._prefs = {**PREFS, **(prefs or {})}  # e.g. the suite's camera frame rate
        self._profile = Path(tempfile.mkdtemp(prefix="vb-firefox-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None
        self.port = 0

    def start(self, timeout: float = 60) -> FirefoxProcess:
        prefs = "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in self._prefs.items())
        (self._profile / "user.js").write_text(prefs)
        self.port = _free_port()
        self._proc = subprocess.Popen(
            [
                self._executable,
                "--headless",
                "--no-remote",
                "--profile",
                str(self._profile),
                f"--remote-debugging-port={self.port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=self._preexec_fn,
        )
        listening = threading.Event()
        self._drain = threading.Thread(target=self._read_stderr, args=(listening,), daemon=True)
        self._drain.start()
        if not listening.wait(timeout) or self._proc.poll() is not None:
            self.close()
            raise BiDiError("firefox did not start WebDriver BiDi")
        return self

    async def warm_up(self) -> None:
        """Open and end one session: the first session and tab cost many seconds (the first
        window loads), paid here once rather than by the first test or measurement."""
        session = await Firefox(self).start()
        try:
            await (await session.new_page()).goto("about:blank")
        finally:
            await session.close()

    def _read_stderr(self, listening: threading.Event) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        # Keep reading: a full pipe would block Firefox.
        for line in self._proc.stderr:
            if b"WebDriver BiDi listening" in line:
                listening.set()
        listening.set()

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._drain is not None:
            self._drain.join(5)
        shutil.rmtree(self._profile, ignore_errors=True)


class Firefox:
    """A WebDriver BiDi session on a running ``FirefoxProcess``, on the current event loop.

    Firefox holds one session at a time: ``close`` ends it (and its user contexts), so the
    next test can open its own.
    """

    def __init__(self, process: FirefoxProcess) -> None:
        self._process = process
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._users: list[str] = []

    async def start(self) -> Firefox:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(f"ws://127.0.0.1:{self._process.port}/session", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.command("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        return self

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = self._pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BiDiError("BiDi connection closed"))

    async def command(self, method: str, params: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        assert self._ws is not None
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self._ws.send_str(json.dumps({"id": self._next_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, timeout)
        if reply.get("type") == "error":
            raise BiDiError(f"{method}: {reply.get('error')}: {reply.get('message')}")
        return dict(reply.get("result", {}))

    async def new_page(self) -> FirefoxPage:
        """A tab in a user context of its own (own cookies and storage)."""
        user = await self.command("browser.createUserContext", {})
        self._users.append(user["userContext"])
        created = await self.command("browsingContext.create", {"type": "tab", "userContext": user["userContext"]})
        return FirefoxPage(self, created["context"], user["userContext"])

    async def close(self) -> None:
        """Close this session's tabs and user contexts and end the session; Firefox runs on."""
        if self._ws is not None and not self._ws.closed:
            for user in self._users:
                with contextlib.suppress(Exception):
                    await self.command("browser.removeUserContext", {"userContext": user}, timeout=10)
            with contextlib.suppress(Exception):
                await self.command("session.end", {}, timeout=10)
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


def _value(remote: dict[str, Any]) -> Any:
    """A BiDi RemoteValue as plain Python."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "number", "boolean"):
        return remote.get("value")
    if kind == "array":
        return [_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {_key(k): _value(v) for k, v in remote.get("value", [])}
    return remote.get("value")


def _key(key: Any) -> Any:
    return key if isinstance(key, str) else _value(key)


class FirefoxPage:
    """One browsing context, with Playwright-like calls."""

    def __init__(self, browser: Firefox, context: str, user_context: str = "default") -> None:
        self._browser = browser
        self.context = context
        self.user_context = user_context

    async def add_cookies(self, domain: str, cookies: dict[str, str]) -> None:
        """Give this page's user context the cookies (HttpOnly ones too) for ``domain``."""
        for name, value in cookies.items():
            await self._browser.command(
                "storage.setCookie",
                {
                    "cookie": {
                        "name": name,
                        "value": {"type": "string", "value": value},
                        "domain": domain,
                        "path": "/",
                    },
                    "partition": {"type": "storageKey", "userContext": self.user_context},
                },
            )

    async def goto(self, url: str) -> None:
        await self._browser.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}, timeout=60
        )

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Run ``expression`` (a function source, called with ``arg``, or an expression); await promises."""
        source = expression.strip()
        if _FUNCTION.match(source):
            reply = await self._browser.command(
                "script.callFunction",
                {
                    "functionDeclaration": f"(a) => ({source})(JSON.parse(a))",
                    "arguments": [{"type": "string", "value": json.dumps(arg)}],
                    "target": {"context": self.context},
                    "awaitPromise": True,
                    "resultOwnership": "none",
                },
            )
        else:
            reply = await self._browser.command(
                "script.evaluate",
                {"expression": source, "target": {"context": self.context}, "awaitPromise": True},
            )
        if reply.get("type") == "exception":
            details = reply.get("exceptionDetails", {})
            raise BiDiError(f"script threw: {details.get('text')}")
        return _value(reply.get("result", {}))

    async def url(self) -> str:
        return str(await self.evaluate("location.href"))

    async def wait_for_function(self, expression: str, timeout: float = 20, arg: Any = None) -> Any:
        """Poll ``expression`` (as for ``evaluate``) until it is truthy; a BiDiError past ``timeout``."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                value = await self.evaluate(expression, arg)
                if value:
                    return value
            except BiDiError as exc:  # the page may be navigating
                last = exc
            await asyncio.sleep(0.1)
        raise BiDiError(f"timed out waiting for {expression[:80]!r} ({last})")

    async def wait_for_url(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(BiDiError):
                current = await self.url()
                if fnmatch.fnmatch(current, pattern):
                    return current
            await asyncio.sleep(0.1)
        raise BiDiError(f"timed out waiting for a URL like {pattern}")

    async def click(self, selector: str) -> None:
        await self.wait_for_function("(s) => !!document.querySelector(s)", arg=selector)
        await self.evaluate("(s) => { document.querySelector(s).click(); return true; }", selector)

    async def fill(self, selector: str, value: str) -> None:
        await self.wait_for_function("(s) => !!document.querySelector(s)", arg=selector)
        await self.evaluate(
            "([s, v]) => { const e = document.querySelector(s); e.focus(); e.value = v;"
            " e.dispatchEvent(new Event('input', {bubbles: true}));"
            " e.dispatchEvent(new Event('change', {bubbles: true})); return true; }",
            [selector, value],
        )

    async def select_option(self, selector: str, value: str) -> None:
        """Choose ``value`` in a <select>, as a person does (a change event follows)."""
        await self.wait_for_function("(s) => !!document.querySelector(s)", arg=selector)
        await self.evaluate(
            "([s, v]) => { const e = document.querySelector(s); e.value = v;"
            " e.dispatchEvent(new Event('input', {bubbles: true}));"
            " e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === v; }",
            [selector, value],
        )

    async def check(self, selector: str) -> None:
        await self.wait_for_function("(s) => !!document.querySelector(s)", arg=selector)
        await self.evaluate(
            "(s) => { const e = document.querySelector(s); if (!e.checked) e.click(); return e.checked; }", selector
        )

    async def _node(self, selector: str) -> dict[str, Any]:
        found = await self._browser.command(
            "browsingContext.locateNodes",
            {"context": self.context, "locator": {"type": "css", "value": selector}, "maxNodeCount": 1},
        )
        nodes = found.get("nodes", [])
        if not nodes:
            raise BiDiError(f"no element {selector}")
        return {"sharedId": nodes[0]["sharedId"]}

    async def tap(self, selector: str) -> None:
        """A real pointer click on the element's centre (a user gesture, unlike ``click``)."""
        element = await self._node(selector)
        move = {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": element}}
        pointer = {
            "type": "pointer",
            "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [move, {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}],
        }
        await self._browser.command("input.performActions", {"context": self.context, "actions": [pointer]})

    async def set_input_files(self, selector: str, path: str) -> None:
        """Give a file input a file from disk (BiDi ``input.setFiles``)."""
        element = await self._node(selector)
        await self._browser.command("input.setFiles", {"context": self.context, "element": element, "files": [path]})
