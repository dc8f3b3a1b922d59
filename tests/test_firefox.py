"""Firefox ESR (WebDriver BiDi) in real calls with Chromium (Playwright), both ways round.

One Firefox runs for the whole test session (``firefox_process``); each test has its own
BiDi session and each page its own user context. Firefox here has VP8, VP9 and AV1 but no
H.264: nothing below names a codec. The MB-per-minute bounds of the data-saving modes are
measured by ``make bench`` (load_tests/firefox_bench.py), not asserted here.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.browser_helpers import until
from tests.test_browser import VIDEO_FLOWS, _admit, _caseworker_creates_session, _recipient_consents_and_waits
from tests.test_browser_datasaver import _png
from web.keys import ECHO

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

# Bytes of the connection in both directions as the engine's selected candidate pair counts
# them (both engines report it), read just before and just after the page's own counter.
COUNTER_AND_PAIR = """async () => {
  const pair = async () => {
    let bytes = 0;
    (await window.vbCall.pc().getStats()).forEach((s) => {
      if (s.type === "candidate-pair" && s.state === "succeeded" && (s.nominated || s.selected))
        bytes += (s.bytesSent || 0) + (s.bytesReceived || 0);
    });
    return bytes;
  };
  const before = await pair();
  const shown = (await window.vbDataSaver.sample()).bytes;
  return [before, shown, await pair()];
}"""

# The first video sender's encoding as the page set it.
VIDEO_ENCODING = """() => {
  const sender = window.vbCall.pc().getSenders().find((s) => s.track && s.track.kind === "video");
  const e = sender.getParameters().encodings[0];
  return {active: e.active, maxBitrate: e.maxBitrate ?? null, scale: e.scaleResolutionDownBy ?? 1};
}"""

# No frame encoded by the page's video senders in two seconds.
NO_VIDEO_FRAMES = """async () => {
  const frames = async () => {
    let n = 0;
    (await window.vbCall.pc().getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") n += s.framesEncoded || 0;
    });
    return n;
  };
  const first = await frames();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return (await frames()) === first;
}"""

# The remote video paused (as iOS does in the background) and its next play() refused as
# autoplay without a gesture; later calls play as usual.
BLOCK_PLAY_ONCE = """() => {
  const video = document.querySelector("#remote");
  video.pause();
  const play = HTMLMediaElement.prototype.play;
  window.vbBlocked = 0;
  video.play = function () {
    if (window.vbBlocked++ === 0) return Promise.reject(new DOMException("blocked", "NotAllowedError"));
    return play.call(this);
  };
  return true;
}"""

APPLIED = "(mode) => window.vbDataSaver.sending() === mode && window.vbDataSaver.applied()"
CONNECTED = "() => window.vbCall && window.vbCall.state() === 'connected'"


async def _ff_consents_and_waits(firefox: Any, link: str) -> Any:
    """The recipient's journey in Firefox: landing, consent, waiting room (first in line)."""
    page = await firefox.new_page()
    await page.goto(link)
    await page.wait_for_url("*/s/*")
    await page.click("a.btn-primary")
    await page.wait_for_url("*/consent")
    await page.check("#agree")
    await page.click("button[value=agree]")
    await page.wait_for_url("*/wait")
    await page.wait_for_function("() => /1/.test(document.querySelector('#position').textContent)")
    return page


async def _ff_caseworker(firefox: Any, base: str) -> tuple[Any, str]:
    """The caseworker in Firefox: logs in, creates a session, goes back to the live list."""
    from tests.conftest import PASSWORD

    page = await firefox.new_page()
    await page.goto(f"{base}/login")
    await page.fill("#username", "fachkraft")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/dashboard")
    await page.check("input[name=group][value=sgb2]")
    await page.click("form[action='/sessions'] button[type=submit]")
    await page.wait_for_url(f"{base}/sessions/*")
    link = await page.evaluate("document.querySelector('#invitation-link').value")
    await page.goto(f"{base}/dashboard")
    return page, str(link)


async def _firefox_recipient_in_call(browser: Any, firefox: Any, server: Any) -> tuple[Any, Any]:
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _ff_consents_and_waits(firefox, link)
    await _admit(cw)
    await rc.wait_for_url("*/call")
    await cw.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await rc.wait_for_function(VIDEO_FLOWS, timeout=20)
    return cw, rc


async def _both_apply(cw: Any, rc: Any, mode: str) -> None:
    await cw.wait_for_function(APPLIED, arg=mode, timeout=15000)
    await rc.wait_for_function(APPLIED, arg=mode, timeout=15)


async def _data_counter_is_right(page: Any) -> None:
    """Once 300 kB went through, the page's counter lies between the candidate pair's bytes
    read just before and just after it (15 % either side: the engines count overhead differently)."""
    await until(page, f"async () => (await ({COUNTER_AND_PAIR})())[0] > 300000")
    before, shown, after = await page.evaluate(COUNTER_AND_PAIR)
    # Within 15 %: the engines count packet overhead (STUN, RTCP) differently in the transport
    # and the pair reports, and the share of overhead grows when a busy machine sends less media.
    assert 0.85 * before <= shown <= 1.15 * after, (before, shown, after)


async def test_firefox_recipient_with_chromium_caseworker(browser, firefox, server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cw, rc = await _firefox_recipient_in_call(browser, firefox, server)
    assert await rc.evaluate("window.vbCall.state()") == "connected"
    for page in (cw, rc):
        await page.wait_for_function("() => window.vbDataSaver?.connected() && window.vbPhoto?.open()")

    # Back from the background (iOS pauses media there), with autoplay refused once: the
    # remote video plays again on the person's next tap.
    await rc.evaluate(BLOCK_PLAY_ONCE)
    await rc.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    await rc.wait_for_function("() => window.vbBlocked === 1 && document.querySelector('#remote').paused")
    await rc.tap("#remote")
    await rc.wait_for_function("() => !document.querySelector('#remote').paused")

    # The data counter shows what went through the connection, in both engines.
    await _data_counter_is_right(cw)
    await _data_counter_is_right(rc)
    assert not (await rc.evaluate("document.querySelector('#data-used').textContent")).endswith(" 0,0 MB")

    # "Wenig Daten", chosen in Firefox: both engines limit their video sender, and the
    # Chromium page receives at most 320 pixels wide.
    await rc.select_option("#datamode", "low")
    await _both_apply(cw, rc, "low")
    for encoding in (await cw.evaluate(VIDEO_ENCODING), await rc.evaluate(VIDEO_ENCODING)):
        assert encoding["active"] and encoding["maxBitrate"] == 48_000 and encoding["scale"] >= 2
    await cw.wait_for_function("() => { const v = document.querySelector('#remote'); return v.videoWidth <= 320; }")

    # "Nur Ton", chosen in Chromium: no video frame is encoded on either side any more.
    await cw.select_option("#datamode", "audio")
    await _both_apply(cw, rc, "audio")
    for page in (cw, rc):
        assert (await page.evaluate(VIDEO_ENCODING))["active"] is False
    for page in (cw, rc):
        await until(page, NO_VIDEO_FRAMES)
    assert "nur Ton" in (await rc.evaluate("document.querySelector('#datamode-peer').textContent"))

    # A document photo taken in Firefox arrives byte-identical in Chromium.
    photo = Path(tmp_path) / "bescheid.png"
    photo.write_bytes(_png(2400, 1600))
    await rc.set_input_files("#photo-camera", str(photo))
    item = cw.locator("#photo-list li").first
    await item.wait_for(timeout=30000)
    await rc.wait_for_function("() => document.querySelector('#photo-message').dataset.code === 'delivered'")
    sent = await rc.evaluate("window.vbPhoto.lastSent()")
    assert sent["size"] > 200_000  # many chunks: the channel's back-pressure path ran
    async with cw.expect_download() as info:
        await item.locator("a[download]").click()
    target = Path(tmp_path) / "photo.jpg"
    await (await info.value).save_as(target)
    data = target.read_bytes()
    assert len(data) == sent["size"] and hashlib.sha256(data).hexdigest() == sent["sha256"]
    assert await rc.evaluate("window.vbCall.state()") == "connected"


async def test_firefox_caseworker_admits_a_chromium_recipient(browser, firefox, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _ff_caseworker(firefox, base)
    rc = await _recipient_consents_and_waits(browser, link)
    # Admitted from the live list in Firefox (the dashboard's own socket brings the entry).
    await cw.click(".waiting-list li button[data-action='lobby.admit']")
    await cw.wait_for_url("*/call")
    await rc.wait_for_url("**/call")
    await rc.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await cw.wait_for_function(VIDEO_FLOWS, timeout=20)
    await cw.wait_for_function(CONNECTED)
    await _data_counter_is_right(cw)
    # The Chromium recipient asks for sound only; the Firefox caseworker stops sending video.
    await rc.wait_for_function("() => window.vbDataSaver?.connected()", timeout=15000)
    await rc.select_option("#datamode", "audio")
    await _both_apply(rc, cw, "audio")
    await until(cw, NO_VIDEO_FRAMES)


async def test_precall_check_reaches_a_verdict_in_firefox(firefox, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    page = await firefox.new_page()
    await page.goto(f"{base}/check")
    await page.wait_for_function("() => document.querySelector('#preview').videoWidth > 0")
    # The level meter is not asserted here: this machine has no sound device, and
    # Firefox's Web Audio context then stays "suspended" even after a real click.
    await page.wait_for_function("() => window.vbCheck && window.vbCheck.verdict() !== null", timeout=20)
    assert await page.evaluate("window.vbCheck.verdict()") == "video"
    assert await page.evaluate("document.querySelector('#verdict-text').textContent") == "Video wird funktionieren."
    await page.wait_for_function("() => !document.querySelector('#check-figures').hidden")
    # The result closed the echo peer.
    await asyncio.wait_for(server.app[ECHO].wait_idle(), timeout=5)
    assert server.app[ECHO].running == 0


async def test_firefox_interpreter_in_a_three_person_call(browser, firefox, server) -> None:  # type: ignore[no-untyped-def]
    from tests.test_browser import _call_with_video
    from tests.test_mesh_browser import ALL_LINKS_HEAR, ALL_REMOTE_VIDEO

    base = str(server.make_url("")).rstrip("/")
    cw, rc = await _call_with_video(browser, server)
    session_path = cw.url.split(base, 1)[1].removesuffix("/call")
    desk = await cw.context.new_page()
    await desk.goto(f"{base}{session_path}")
    await desk.check("#add-third input[value=interpreter]")
    await desk.click("#add-third button[type=submit]")
    await desk.locator("#third-state[data-state=asked]").wait_for()
    await rc.locator("#third-ask").wait_for(state="visible")
    await rc.click("#third-agree")
    await rc.locator("#third-ask").wait_for(state="hidden")
    await desk.reload()
    link = await desk.input_value("#third-link")

    interpreter = await _ff_consents_and_waits(firefox, link)
    await desk.goto(f"{base}/dashboard")
    admit = desk.locator(".waiting-list li button").first
    await admit.wait_for()
    await admit.click()
    await interpreter.wait_for_url("*/call")
    # Everyone sees and hears everyone, Firefox included.
    for page in (cw, rc, interpreter):
        await until(page, ALL_REMOTE_VIDEO, 2, seconds=30)
        await until(page, ALL_LINKS_HEAR, 2, seconds=30)
    assert await interpreter.evaluate("Object.values(window.vbCall.states())") == ["connected", "connected"]
    # The interpreter leaves; the other two go on.
    await interpreter.click("#hangup")
    await interpreter.wait_for_url("*/ended")
    for page in (cw, rc):
        await page.wait_for_function(ALL_REMOTE_VIDEO, arg=1, timeout=20000)
