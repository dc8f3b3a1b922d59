"""In the call: how the media flows and a verification code both people compare; no third parties.

Real headless Chromium on the real app. The code is recomputed here from the SDPs the two
pages negotiated, so the test does not take the page's word for it; a relay that rewrites
the fingerprint in transit (a Playwright WebSocket route in front of one page) makes the
two codes differ.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestServer

from tests.test_browser import (
    PHONE,
    VIDEO_FLOWS,
    _admit,
    _call_with_video,
    _caseworker_creates_session,
)
from tests.test_turn import SECRET, coturn  # noqa: F401  (the coturn fixture)
from web.access_log import RedactingAccessLogger
from web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$", re.M)
SHOWN = "#media-path-links li[data-code]:not([data-code=''])"


def _fingerprint(sdp: str) -> str:
    match = _FINGERPRINT.search(sdp)
    assert match, "no DTLS fingerprint in the SDP"
    return f"{match.group(1).lower()} {match.group(2).upper()}"


def _code(one: str, other: str) -> str:
    digest = hashlib.sha256("\n".join(sorted([one, other])).encode()).digest()
    digits = f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"
    return f"{digits[:3]} {digits[3:]}"


async def _negotiated(page: Any) -> tuple[str, str]:
    """(own fingerprint, the other's fingerprint) as this page's session holds them."""
    sdps = await page.evaluate(
        "() => { const pc = window.vbCall.pc(); return [pc.localDescription.sdp, pc.remoteDescription.sdp]; }"
    )
    return _fingerprint(sdps[0]), _fingerprint(sdps[1])


async def _shown(page: Any, encrypted: bool) -> dict[str, str]:
    selector = SHOWN + ("[data-encrypted=yes]" if encrypted else "")
    item = page.locator(selector).first
    await item.wait_for(timeout=20000)
    return {
        "code": str(await item.get_attribute("data-code")),
        "route": str(await item.get_attribute("data-route")),
        "text": await item.inner_text(),
    }


async def test_both_pages_show_direct_encrypted_and_the_same_code(browser, server) -> None:  # type: ignore[no-untyped-def]
    cw, rc = await _call_with_video(browser, server)
    on_cw, on_rc = await _shown(cw, encrypted=True), await _shown(rc, encrypted=True)
    cw_own, cw_other = await _negotiated(cw)
    rc_own, rc_other = await _negotiated(rc)
    assert (cw_other, rc_other) == (rc_own, cw_own)  # nothing in between touched them
    assert on_cw["code"] == on_rc["code"] == _code(cw_own, rc_own)
    assert re.fullmatch(r"\d{3} \d{3}", on_cw["code"])
    # Loopback host candidates: no relay in this test's set-up.
    assert on_cw["route"] == on_rc["route"] == "direct"
    for shown in (on_cw, on_rc):
        assert "DTLS-SRTP" in shown["text"] and shown["code"] in shown["text"]
    assert await rc.locator("#media-path").is_visible()


async def test_a_relay_that_rewrites_the_fingerprint_makes_the_codes_differ(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link, lambda _url: None)
    forged = "AB:" * 31 + "AB"
    rewritten: list[str] = []

    def rewrite(message: str | bytes) -> str | bytes:
        if isinstance(message, str) and "a=fingerprint:" in message:
            changed = re.sub(r"(a=fingerprint:sha-256 )[0-9A-Fa-f:]+", lambda m: m.group(1) + forged, message)
            rewritten.append(changed)
            return changed
        return message

    async def in_the_middle(ws: Any) -> None:
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: ws.send(rewrite(message)))

    # Everything the server sends this recipient's call page passes the rewriting relay.
    await rc.route_web_socket(re.compile(r".*/socket\.io/.*"), in_the_middle)
    await _admit(cw)
    await rc.wait_for_url("**/call")
    on_cw, on_rc = await _shown(cw, encrypted=False), await _shown(rc, encrypted=False)
    assert rewritten, "the caseworker's description passed the relay"
    rc_own, rc_other = await _negotiated(rc)
    cw_own, cw_other = await _negotiated(cw)
    assert rc_other == f"sha-256 {forged}" != cw_own
    assert on_rc["code"] == _code(rc_own, rc_other)
    assert on_cw["code"] == _code(cw_own, cw_other)
    assert on_rc["code"] != on_cw["code"]
    # And no media flowed on the forged session: DTLS refuses the swapped certificate.
    assert not await rc.evaluate(VIDEO_FLOWS)


async def _recipient_consents_and_waits(browser: Any, link: str, record: Any) -> Any:
    """As tests/test_browser.py's, recording every request of the recipient's browser from the first."""
    context = await browser.new_context(**PHONE)
    context.on("request", lambda request: record(request.url))
    page = await context.new_page()
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    await page.click("a.btn-primary")
    await page.wait_for_url("**/consent")
    await page.check("#agree")
    await page.click("button[value=agree]")
    await page.wait_for_url("**/wait")
    return page


# Test only: every connection of the page may use relayed candidates only, as a network that
# blocks direct UDP between the devices would force (the pages themselves never ask for it).
_RELAY_ONLY = """(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) { super({ ...(config || {}), iceTransportPolicy: "relay" }, ...rest); }
  };
})();"""


@pytest.mark.turn
async def test_a_call_through_the_relay_says_so_on_both_pages(browser, settings, coturn) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    configured = replace(settings, turn_urls=(f"turn:127.0.0.1:{coturn.port}?transport=udp",), turn_secrets=(SECRET,))
    server = TestServer(create_app(configured), host="127.0.0.1")
    await server.start_server(access_log_class=RedactingAccessLogger)
    try:
        base = str(server.make_url("")).rstrip("/")
        cw, link = await _caseworker_creates_session(browser, base)
        rc = await _recipient_consents_and_waits(browser, link, lambda _url: None)
        for page in (cw, rc):  # from the call page on
            await page.context.add_init_script(_RELAY_ONLY)
        await _admit(cw)
        await rc.wait_for_url("**/call")
        on_cw, on_rc = await _shown(cw, encrypted=True), await _shown(rc, encrypted=True)
        assert on_cw["route"] == on_rc["route"] == "relay"
        assert on_cw["code"] == on_rc["code"]
        assert "DTLS-SRTP" in on_rc["text"]
        assert "typ relay" in await rc.evaluate("window.vbCall.pc().localDescription.sdp")
    finally:
        await server.close()


def _outside(requests: list[str], origin: str) -> list[str]:
    allowed = {origin, origin.replace("http", "ws", 1)}
    return [
        url
        for url in requests
        if not url.startswith(("data:", "blob:")) and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" not in allowed
    ]


async def test_no_recipient_page_and_no_call_reaches_a_third_party(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    requests: list[str] = []
    cw, link = await _caseworker_creates_session(browser, base)
    cw.context.on("request", lambda request: requests.append(request.url))
    rc_requests: list[str] = []
    rc = await _recipient_consents_and_waits(browser, link, rc_requests.append)
    wait_url = rc.url
    for path in ("/about", "/about?lang=ar", "/accessibility", "/check"):
        assert (await rc.goto(f"{base}{path}")).status == 200, path
    await rc.goto(wait_url)
    await _admit(cw)
    await rc.wait_for_url("**/call")
    await cw.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await rc.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await _shown(rc, encrypted=True)
    await rc.click("#hangup")
    await rc.wait_for_url("**/ended**")
    session = urlsplit(rc.url).path.split("/")[2]
    fallback = await rc.goto(f"{base}/s/{session}/fallback")
    assert fallback.status == 200
    assert len(rc_requests) > 20 and len(requests) > 5
    assert _outside(rc_requests + requests, base) == []
    # The check itself would see one: a font from elsewhere is reported.
    assert _outside([f"{base}/static/x.css", "https://fonts.example/x.woff2"], base) == [
        "https://fonts.example/x.woff2"
    ]
