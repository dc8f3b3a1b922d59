"""Evidence that holds up, in a real Chromium: a forged failure report gets no proof, the
proof page reads on a 320 px phone in every language, the switcher stays one line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import _call_with_video, _caseworker_creates_session
from web.i18n import LANGUAGES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

NARROW = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}

# The caseworker's page has told the server it saw the link connected.
CW_SAW_CONNECTED = """async () => {
  const log = await (await fetch(location.pathname.replace(/\\/call$/, '/attempts'))).text();
  return log.includes('Verbindungszustand: connected') && log.includes('Server hat weitergegeben: answer');
}"""

FORGE = """async (sessionId) => (await fetch('/api/attempts/' + sessionId, {
  method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({kind: 'connection', detail: 'failed/caseworker'}),
})).status"""

# Every label sits above its value, and nothing is wider than the screen.
STACKED = """() => {
  const wide = document.documentElement.scrollWidth <= window.innerWidth;
  const pairs = [...document.querySelectorAll('.proof-version .facts dt')].map(dt => [dt, dt.nextElementSibling]);
  const above = pairs.every(([dt, dd]) => dd.getBoundingClientRect().top >= dt.getBoundingClientRect().bottom - 1);
  const full = pairs.every(([, dd]) => dd.getBoundingClientRect().width >= 250);
  return {wide, above, full, count: pairs.length};
}"""


async def test_a_forged_failure_report_gets_no_proof_but_the_way_out(browser: Any, server: Any) -> None:
    cw, rc = await _call_with_video(browser, server)
    session_id = cw.url.rstrip("/").removesuffix("/call").rsplit("/", 1)[1]
    # Both pages saw the call connected; the server relayed offer and answer itself.
    await cw.wait_for_function(CW_SAW_CONNECTED, polling=250, timeout=20000)
    assert await rc.evaluate("window.vbCall.state()") == "connected"

    # The recipient's own page posts a failure it did not have, and asks for the proof
    # while the call goes on (the page stays: fetched, not navigated to).
    assert await rc.evaluate(FORGE, session_id) == 200
    status, html = await rc.evaluate(
        """async (id) => { const r = await fetch('/s/' + id + '/proof');
             return [r.status, await r.text()]; }""",
        session_id,
    )
    assert status == 409
    assert "hat Ihren Videoanruf als verbunden gesehen" in html
    assert 'id="proof-code"' not in html
    assert 'id="way-out"' in html and f'href="/s/{session_id}/fallback"' in html
    assert await rc.evaluate("window.vbCall.state()") == "connected"
    # The end page offers no proof either, after the recipient hangs up.
    await rc.click("#hangup")
    await rc.wait_for_url("**/ended")
    assert await rc.locator("#proof-link").count() == 0


async def test_the_proof_page_reads_at_320_px_in_every_language(browser: Any, server: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    page = await (await browser.new_context(**NARROW)).new_page()
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    session_id = page.url.split("/s/", 1)[1].split("?", 1)[0].split("/", 1)[0]
    status = await page.evaluate(
        """async (id) => (await fetch('/api/attempts/' + id, {method: 'POST',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({kind: 'media_error', detail: 'denied'})})).status""",
        session_id,
    )
    assert status == 200
    for language in LANGUAGES:
        response = await page.goto(f"{base}/s/{session_id}/proof?lang={language}")
        assert response is not None and response.status == 200, language
        layout = await page.evaluate(STACKED)
        assert layout == {"wide": True, "above": True, "full": True, "count": layout["count"]}, language
        assert layout["count"] >= (8 if language == "de" else 16)  # the person's language and German
        # The page says it rests on this device alone (the caseworker's never reported).
        assert await page.locator(".proof-basis.proof-one-sided").count() >= 1
        code = (await page.text_content("#proof-code") or "").strip()
        # The public check shows the same at 320 px.
        await page.goto(f"{base}/proof?lang={language}&code={code}")
        await page.locator("#proof-valid").wait_for()
        checked = await page.evaluate(STACKED)
        assert checked["wide"] and checked["above"] and checked["full"], language
        assert await page.locator(".proof-basis.proof-one-sided").count() >= 1
        # Printed: the same facts, nothing cut off sideways.
        await page.emulate_media(media="print")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.emulate_media(media="screen")


async def test_the_language_switcher_is_one_line_at_320_px_and_opens_by_keyboard(browser: Any, server: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    page = await (await browser.new_context(**NARROW)).new_page()
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    for language in ("ar", "de-x-ls", "uk"):
        await page.goto(f"{page.url.split('?', 1)[0]}?lang={language}")
        header = await page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= 56, (language, header)
        assert not await page.locator("nav.lang a[hreflang='en']").is_visible()
    # Keyboard: Tab reaches the summary, Enter opens the list, a language link is one Tab on.
    summary = page.locator("nav.lang summary")
    await summary.focus()
    await page.keyboard.press("Enter")
    english = page.locator("nav.lang a[hreflang='en']")
    assert await english.is_visible()
    assert await summary.get_attribute("aria-expanded") in (None, "true")
    assert await page.evaluate("document.querySelector('nav.lang details').open")
    await english.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url("**lang=en*")
    assert await page.get_attribute("html", "lang") == "en"
    assert "English" in (await summary.text_content() or "")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
