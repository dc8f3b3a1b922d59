"""A failed attempt in a real Chromium: the recipient gets a signed proof that verifies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from tests.test_browser import _admit, _caseworker_creates_session, _recipient_consents_and_waits
from web.app import create_app
from web.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


# Relay-only ICE without any TURN server: the page gathers no candidate at all.
RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}) { super({ ...config, iceTransportPolicy: "relay" }); }
  };
})();
"""


@pytest.fixture
def app(settings: Settings) -> web.Application:
    # The page gives up waiting for a connection after 3 s instead of 30 s.
    return create_app(replace(settings, connect_timeout_seconds=3.0))


async def test_failed_connection_gives_a_proof_that_verifies(browser: Any, server: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    await rc.context.add_init_script(RELAY_ONLY)
    await _admit(cw)
    await rc.wait_for_url("**/call")

    # No connection: the page says so and offers the proof next to the fallback booking.
    proof_link = rc.locator("#proof-link")
    await proof_link.wait_for(state="visible", timeout=30000)
    assert await rc.evaluate("window.vbCall.state()") != "connected"
    await proof_link.click()
    await rc.wait_for_url("**/proof")
    code = (await rc.text_content("#proof-code") or "").strip()
    assert code.count(".") == 1
    text = await rc.text_content("main") or ""
    assert "Nachweis über den Verbindungsversuch" in text
    assert "Es konnte keine Videoverbindung hergestellt werden." in text
    assert "Zur Videoverbindung zugelassen" in text
    assert await rc.locator(".proof-qr svg").count() == 1

    # Anyone can check it at the public page: same facts.
    verifier = await (await browser.new_context()).new_page()
    await verifier.goto(f"{base}/proof")
    await verifier.fill("#code", code)
    await verifier.click("form[action='/proof'] button[type=submit]")
    await verifier.locator("#proof-valid").wait_for()
    checked = await verifier.text_content("main") or ""
    assert "Es konnte keine Videoverbindung hergestellt werden." in checked
    assert (await rc.text_content(".proof-when")) == (await verifier.text_content(".proof-when"))

    # One character changed: "not valid", and nothing of the facts.
    body, signature = code.split(".")
    middle = len(body) // 2
    tampered = body[:middle] + ("A" if body[middle] != "A" else "B") + body[middle + 1 :] + "." + signature
    await verifier.goto(f"{base}/proof?code={quote(tampered)}")
    await verifier.locator("#proof-invalid").wait_for()
    assert await verifier.locator(".proof-version").count() == 0
    assert "Videoverbindung" not in (await verifier.text_content("main") or "")

    # The caseworker sees the same attempt log when recording a technical failure.
    session_path = cw.url.split(base, 1)[1].removesuffix("/call")
    await cw.goto(f"{base}{session_path}")
    await cw.click("#attempt-log-link")
    await cw.wait_for_url("**/attempts")
    log = await cw.text_content("main") or ""
    assert "Es konnte keine Videoverbindung hergestellt werden." in log
    assert "Nachweis über den Verbindungsversuch ausgestellt" in log
    assert "Verbindungszustand: timeout" in log

    # The caseworker records the technical failure; the outcome links to the log, and the
    # recipient's end page still offers the proof.
    await cw.goto(f"{base}{session_path}")
    await cw.check("input[name=outcome][value=technical_failure]")
    await cw.click("#outcome-form button[type=submit]")
    await cw.wait_for_url("**/dashboard*")
    await cw.goto(f"{base}{session_path}")
    assert (await cw.get_attribute("#attempt-log-link", "href") or "").endswith("/attempts")
    session_id = session_path.rsplit("/", 1)[1]
    await rc.goto(f"{base}/s/{session_id}/ended")
    assert await rc.locator("#proof-link").is_visible()
