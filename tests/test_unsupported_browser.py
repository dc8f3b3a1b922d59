"""Browsers that cannot make video calls are told first, in real Chromium with the APIs removed:
the landing page, the pre-call check and the call page say what to do instead (another
browser, with the link to copy; or phone / in person), the attempt log keeps the class
only, no page throws, and the caseworker's call page says the other side cannot do video.
"""

from __future__ import annotations

from typing import Any

import pytest

from rooms.attempts import EventKind
from storage import attempts
from tests.test_browser import PHONE, _admit, _caseworker_creates_session, _recipient_consents_and_waits
from web.i18n import translator
from web.keys import DB

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"
NO_MEDIA_DEVICES = "delete Navigator.prototype.mediaDevices;"


def _errors_of(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return errors


REPORTED = "() => document.getElementById('unsupported')?.dataset.reported === 'true'"


async def _browser_events(app: Any, session_id: str) -> list[tuple[str, str]]:
    async with app[DB]() as db:
        events = await attempts.events_of(db, session_id)
    return [(e.role, e.detail) for _pid, e in events if e.kind is EventKind.BROWSER]


async def _recipient_page(browser: Any, init_script: str, **context: Any) -> tuple[Any, list[str]]:
    ctx = await browser.new_context(**PHONE, **context)
    await ctx.add_init_script(init_script)
    page = await ctx.new_page()
    return page, _errors_of(page)


async def test_landing_page_without_webrtc_says_what_to_do(browser: Any, server: Any, app: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc, errors = await _recipient_page(browser, NO_WEBRTC, permissions=["clipboard-read", "clipboard-write"])
    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    session_id = rc.url.rstrip("/").rsplit("/", 1)[1]

    box = rc.locator("#unsupported")
    await box.wait_for(state="visible")
    await rc.wait_for_function(REPORTED)
    text = await box.text_content() or ""
    assert "Dieser Browser kann keine Videoanrufe" in text
    assert "Safari, Chrome oder Firefox" in text
    assert "(WebRTC)" in (await rc.text_content("#unsupported-reason") or "")
    # The link to copy is the person's own invitation link (a cookie does not travel).
    copy_link = await rc.input_value("#unsupported-link")
    assert copy_link.startswith(f"{base}/join/")
    await rc.click("#unsupported-copy")
    assert await rc.evaluate("navigator.clipboard.readText()") == copy_link
    assert await rc.text_content("#unsupported-copy") == "Kopiert"
    # ... and the way out by phone or in person.
    fallback = rc.locator("#unsupported-fallback")
    assert await fallback.is_visible()
    assert (await fallback.get_attribute("href") or "").endswith(f"/s/{session_id}/fallback?reason=browser")
    await fallback.click()
    await rc.wait_for_url("**/fallback?reason=browser")
    assert "Dieser Browser kann keine Videoanrufe führen." in (await rc.text_content("main") or "")

    # The attempt log has the class, never the user agent.
    assert await _browser_events(app, session_id) == [("recipient", "no_webrtc")]
    assert not errors

    # A caseworker opening the call page later is told at once.
    await cw.goto(f"{base}/sessions/{session_id}/call")
    await cw.locator("#peer-unsupported").wait_for(state="visible")


async def test_landing_page_in_the_persons_language(browser: Any, server: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    rc, errors = await _recipient_page(browser, NO_WEBRTC)
    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    for language in ("de-x-ls", "en", "ar", "uk", "tr", "ru"):
        await rc.goto(f"{rc.url.split('?')[0]}?lang={language}")
        await rc.locator("#unsupported").wait_for(state="visible")
        _ = translator(language)
        assert await rc.text_content("#unsupported-title") == _("This browser cannot make video calls")
        reason = _("This browser has no video calling (WebRTC). Messenger apps often open links in such a browser.")
        assert await rc.text_content("#unsupported-reason") == reason
    assert not errors


async def test_check_page_without_media_devices_does_not_blame_the_camera(browser: Any, server: Any, app: Any) -> None:
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    rc, errors = await _recipient_page(browser, NO_MEDIA_DEVICES)
    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    session_id = rc.url.rstrip("/").rsplit("/", 1)[1]
    await rc.wait_for_function(REPORTED)
    await rc.click("#check-link")
    await rc.wait_for_url("**/check")
    await rc.wait_for_function("() => window.vbCheck && window.vbCheck.state() === 'unsupported'")
    await rc.wait_for_function(REPORTED)
    assert await rc.locator("#unsupported").is_visible()
    status = await rc.text_content("#check-status") or ""
    assert status == "Dieser Browser kann Kamera und Mikrofon nicht benutzen."
    assert "Kamera oder Mikrofon konnte nicht gestartet werden" not in (await rc.text_content("main") or "")
    assert await rc.locator("#unsupported-fallback").is_visible()
    # Landing page and check page each reported it.
    assert await _browser_events(app, session_id) == [("recipient", "no_media_devices")] * 2
    assert not errors


async def test_call_page_without_webrtc_never_throws_and_the_caseworker_is_told(
    browser: Any, server: Any, app: Any
) -> None:
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    session_id = rc.url.rstrip("/").removesuffix("/wait").rsplit("/", 1)[1]
    errors, cw_errors = _errors_of(rc), _errors_of(cw)
    # The person went on anyway (or the browser lost WebRTC on the way): admitted.
    await rc.context.add_init_script(NO_WEBRTC)
    await _admit(cw)
    await rc.wait_for_url("**/call")
    await rc.locator("#unsupported").wait_for(state="visible")
    await rc.wait_for_function(REPORTED)
    assert await rc.get_attribute("#call", "data-state") == "unsupported"
    assert await rc.locator("#unsupported-fallback").is_visible()
    await cw.locator("#peer-unsupported").wait_for(state="visible", timeout=15000)
    assert "Safari, Chrome oder Firefox" in (await cw.text_content("#peer-unsupported") or "")
    assert await _browser_events(app, session_id) == [("recipient", "no_webrtc")]
    assert not errors and not cw_errors
