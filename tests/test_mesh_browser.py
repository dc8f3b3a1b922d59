"""Three real Chromium contexts: caseworker, recipient and interpreter in a bounded mesh."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_helpers import until
from tests.test_browser import PHONE, _call_with_video

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


# Every link receives sound: audio packets with energy in them (the fake microphone beeps).
ALL_LINKS_HEAR = """async (n) => {
  const links = [...window.vbCall.links().values()];
  if (links.length !== n) return false;
  for (const link of links) {
    const stats = await link.pc.getStats();
    const audio = [...stats.values()].find((s) => s.type === "inbound-rtp" && s.kind === "audio");
    if (!audio || !(audio.packetsReceived > 0) || !(audio.totalAudioEnergy > 0)) return false;
  }
  return true;
}"""

ALL_REMOTE_VIDEO = """(n) => {
  const videos = [...document.querySelectorAll('video.remote')];
  return videos.length === n && videos.every((v) => v.videoWidth > 0);
}"""


async def _consent_as_third(browser: Any, link: str) -> Any:
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    await page.click("a.btn-primary")
    await page.wait_for_url("**/consent")
    await page.check("#agree")
    await page.click("button[value=agree]")
    await page.wait_for_url("**/wait")
    return page


async def _three_in_call(browser: Any, server: Any) -> tuple[Any, Any, Any, str]:
    """Caseworker and recipient in a call; an interpreter added, agreed to, admitted, and
    everyone seeing and hearing everyone. Returns the three pages and the interpreter's link."""
    base = str(server.make_url("")).rstrip("/")
    cw, rc = await _call_with_video(browser, server)
    session_path = cw.url.split(base, 1)[1].removesuffix("/call")

    # The caseworker adds an interpreter from the session page (another tab): the recipient
    # is asked in the call and agrees.
    desk = await cw.context.new_page()
    await desk.goto(f"{base}{session_path}")
    await desk.check("#add-third input[value=interpreter]")
    await desk.click("#add-third button[type=submit]")
    await desk.locator("#third-state[data-state=asked]").wait_for()
    await rc.locator("#third-ask").wait_for(state="visible")
    assert "Dolmetsch" in (await rc.text_content("#third-ask-text") or "")
    await rc.click("#third-agree")
    await rc.locator("#third-ask").wait_for(state="hidden")
    await desk.reload()
    link = await desk.input_value("#third-link")

    # The interpreter's own link: own consent, waits, is admitted from the dashboard.
    interpreter = await _consent_as_third(browser, link)
    await desk.goto(f"{base}/dashboard")
    admit = desk.locator(".waiting-list li button").first
    await admit.wait_for()
    await admit.click()
    await interpreter.wait_for_url("**/call")
    assert desk.url.endswith("/dashboard")  # the caseworker's call stays the one call page

    # Everyone sees and hears everyone: two remote videos on each of the three pages.
    for page in (cw, rc, interpreter):
        await page.wait_for_function(ALL_REMOTE_VIDEO, arg=2, timeout=30000)
        await until(page, ALL_LINKS_HEAR, 2, seconds=30)  # async: wait_for_function would not await it
    states = await cw.evaluate("Object.values(window.vbCall.states())")
    assert states == ["connected", "connected"]
    return cw, rc, interpreter, link


async def test_interpreter_joins_everyone_sees_everyone_and_is_removed(browser: Any, server: Any) -> None:
    cw, rc, interpreter, link = await _three_in_call(browser, server)

    # The caseworker removes the interpreter; the other two stay connected.
    await cw.locator("#remove-third").wait_for(state="visible")
    await cw.click("#remove-third")
    await interpreter.wait_for_url("**/ended")
    for page in (cw, rc):
        await page.wait_for_function(ALL_REMOTE_VIDEO, arg=1, timeout=20000)
        assert await page.evaluate("Object.values(window.vbCall.states())") == ["connected"]
    await cw.locator("#remove-third").wait_for(state="hidden")

    # The removed link is dead.
    again = await (await browser.new_context()).new_page()
    response = await again.goto(link)
    assert response is not None and response.status == 410


async def test_anyone_may_leave_and_the_others_go_on(browser: Any, server: Any) -> None:
    cw, rc, interpreter, _link = await _three_in_call(browser, server)
    await interpreter.click("#hangup")
    await interpreter.wait_for_url("**/ended")
    for page in (cw, rc):
        await page.wait_for_function(ALL_REMOTE_VIDEO, arg=1, timeout=20000)
        assert await page.evaluate("Object.values(window.vbCall.states())") == ["connected"]
    assert rc.url.endswith("/call")
