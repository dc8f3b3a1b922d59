"""Real headless Chromium (system package) with fake camera and microphone, via Playwright."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD, TEST_PASSWORDS
from web.keys import ECHO

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
VIDEO_FLOWS = "() => { const v = document.querySelector('#remote'); return v && v.videoWidth > 0; }"


async def _caseworker_creates_session(browser: Any, base: str) -> tuple[Any, str]:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill("#username", "fachkraft")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/dashboard")
    await page.check("input[name=group][value=sgb2]")
    await page.click("form[action='/sessions'] button[type=submit]")
    await page.wait_for_url(f"{base}/sessions/*")
    link = await page.input_value("#invitation-link")
    await page.goto(f"{base}/dashboard")
    return page, link


async def _recipient_consents_and_waits(browser: Any, link: str) -> Any:
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    await page.click("a.btn-primary")
    await page.wait_for_url("**/consent")
    await page.check("#agree")
    await page.click("button[value=agree]")
    await page.wait_for_url("**/wait")
    await page.wait_for_function("() => /1/.test(document.querySelector('#position').textContent)")
    # Nothing on a phone-sized screen scrolls sideways.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return page


async def _admit(cw: Any) -> None:
    admit = cw.locator(".waiting-list li button").first
    await admit.wait_for()
    await admit.click()
    await cw.wait_for_url("**/call")


async def _call_with_video(browser: Any, server: Any) -> tuple[Any, Any]:
    """Invitation → consent → waiting room → admission → video flowing both ways."""
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    await _admit(cw)
    await rc.wait_for_url("**/call")
    await cw.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await rc.wait_for_function(VIDEO_FLOWS, timeout=20000)
    return cw, rc


async def test_full_call_from_invitation_to_video_both_ways(browser, server) -> None:  # type: ignore[no-untyped-def]
    _cw, rc = await _call_with_video(browser, server)
    assert await rc.evaluate("window.vbCall.state()") == "connected"
    assert await rc.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Mute and camera are real toggle buttons: the name stays, aria-pressed and the
    # microphone or camera track follow each press.
    for button, kind in (("#mute", "Audio"), ("#camera", "Video")):
        name = await rc.inner_text(button)
        for pressed in ("true", "false"):
            await rc.click(button)
            assert await rc.get_attribute(button, "aria-pressed") == pressed
            assert await rc.inner_text(button) == name
            enabled = await rc.evaluate(
                f"document.getElementById('local').srcObject.get{kind}Tracks().map(t => t.enabled)"
            )
            assert enabled and all(e == (pressed == "false") for e in enabled)


async def test_the_whole_call_in_the_full_chromium_binary(full_chromium, server) -> None:  # type: ignore[no-untyped-def]
    """The suite's browser is Chromium's headless shell; this call runs in /usr/bin/chromium."""
    cw, rc = await _call_with_video(full_chromium, server)
    for page in (cw, rc):
        assert await page.evaluate("window.vbCall.state()") == "connected"
    await rc.click("#mute")
    assert await rc.get_attribute("#mute", "aria-pressed") == "true"


async def test_declined_recipient_sees_the_way_out(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    decline = cw.locator(".waiting-list li button").nth(1)
    await decline.wait_for()
    await decline.click()
    await rc.wait_for_url("**/declined")
    fallback = rc.locator("a[href*='fallback']").first
    assert await fallback.is_visible()


async def test_rejoin_after_reload_restores_video(browser, server) -> None:  # type: ignore[no-untyped-def]
    cw, rc = await _call_with_video(browser, server)
    await rc.reload()
    await rc.wait_for_function(VIDEO_FLOWS, timeout=20000)
    await cw.wait_for_function(
        "() => window.vbCall.state() === 'connected' && document.querySelector('#remote').videoWidth > 0",
        timeout=20000,
    )


async def _admitted_without_media(browser: Any, server: Any, error_name: str, message: str) -> tuple[Any, Any]:
    """Admit a recipient whose browser fails getUserMedia with ``error_name``; wait for the error."""
    base = str(server.make_url("")).rstrip("/")
    cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    # The browser rejects getUserMedia as it does when access is refused or no device exists.
    await rc.context.add_init_script(
        f"navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException({message!r}, {error_name!r}));"
    )
    await _admit(cw)
    await rc.wait_for_url("**/call")
    error = rc.locator("#media-error")
    await error.wait_for(state="visible")
    return rc, error


async def test_denied_camera_shows_message_and_way_out(browser, server) -> None:  # type: ignore[no-untyped-def]
    rc, error = await _admitted_without_media(browser, server, "NotAllowedError", "Permission denied")
    assert "nicht erlaubt" in (await rc.text_content("#media-error-text") or "")
    assert await error.locator("a[href*='fallback']").is_visible()


async def test_withdrawal_ends_video_on_both_sides(browser, server) -> None:  # type: ignore[no-untyped-def]
    cw, rc = await _call_with_video(browser, server)
    await rc.click("#withdraw")
    await rc.wait_for_url("**/fallback?reason=withdrawn")
    assert await rc.locator("#withdrawn").is_visible()
    # The caseworker's media is closed and the status says why.
    await cw.wait_for_function(
        "() => document.querySelector('#call').dataset.state === 'peer_withdrew'"
        " && window.vbCall.pc() === null && !document.querySelector('#remote').srcObject"
    )


async def test_finished_call_to_feedback_to_evaluator_export(browser, server, app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage import users
    from web.keys import DB

    async with app[DB].begin() as db:
        await users.create_user(
            db, TEST_PASSWORDS, "auswertung", PASSWORD, display_name="Eva", role="evaluator", now=datetime.now(UTC)
        )
    cw, rc = await _call_with_video(browser, server)
    # The caseworker ends the call and records that it was held by video.
    session_path = urlsplit(cw.url).path.removesuffix("/call")
    await cw.goto(str(server.make_url(session_path)))
    await cw.check("input[name=outcome][value=video]")
    await cw.click("#outcome-form button[type=submit]")
    # The recipient's page follows to the end page, which offers the one-time feedback link.
    await rc.wait_for_url("**/ended")
    await rc.click("#feedback-link")
    await rc.wait_for_url("**/feedback**")
    for name, value in {
        "recommend": "yes",
        "next_by_video": "yes",
        "satisfaction": "4",
        "technical_quality": "5",
        "device": "smartphone",
        "setup_help": "no",
    }.items():
        await rc.check(f"input[name='{name}'][value='{value}']")
    await rc.click("form[action='/feedback'] button[type=submit]")
    await rc.wait_for_selector("h1")
    assert "Vielen Dank" in (await rc.text_content("h1") or "")

    # The evaluator logs in and downloads the JSON export: groups apart, one answer, hidden.
    evaluator = await (await browser.new_context()).new_page()
    base = str(server.make_url("")).rstrip("/")
    await evaluator.goto(f"{base}/login")
    await evaluator.fill("#username", "auswertung")
    await evaluator.fill("#password", PASSWORD)
    await evaluator.click("button[type=submit]")
    await evaluator.wait_for_url(f"{base}/evaluation")
    async with evaluator.expect_download() as info:
        await evaluator.click("a[href*='format=json'][href*='group=sgb2&group=sgb3']")
    download = await info.value
    target = tmp_path / "export.json"
    await download.save_as(target)
    document = json.loads(target.read_text("utf-8"))
    assert set(document["groups"]) == {"sgb2", "sgb3"}
    figures = document["groups"]["sgb2"]["figures"]
    assert figures and all(row["suppressed"] for row in figures)  # n = 1 < 5


async def test_check_page_reaches_a_verdict(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(f"{base}/check")
    # The preview runs and the level meter is live before the connection test ends.
    await page.wait_for_function("() => document.querySelector('#preview').videoWidth > 0")
    await page.wait_for_function("() => document.querySelector('#level').value > 0", timeout=10000)
    await page.wait_for_function("() => window.vbCheck && window.vbCheck.verdict() !== null", timeout=20000)
    assert await page.evaluate("window.vbCheck.verdict()") == "video"
    assert await page.text_content("#verdict-text") == "Video wird funktionieren."
    assert await page.is_visible("#check-figures")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await asyncio.wait_for(server.app[ECHO].wait_idle(), timeout=5)  # the result closed the echo peer
    assert server.app[ECHO].running == 0


async def test_check_page_waits_when_all_echo_peers_are_busy(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    page = await (await browser.new_context()).new_page()
    refused: list[str] = []

    async def busy_once(route: Any) -> None:
        if refused:
            await route.continue_()
            return
        refused.append(route.request.url)
        body = json.dumps({"error": {"code": "check_busy", "message": "busy"}})
        await route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json", body=body)

    await page.route("**/api/check/offer", busy_once)
    results: list[str] = []
    page.on("request", lambda r: results.append(r.post_data or "") if r.url.endswith("/api/check/result") else None)
    await page.goto(f"{base}/check")
    # The page says when it retries, then retries by itself and reaches a verdict.
    # (The text is read as the state is seen: the page retries a second later.)
    status = await page.wait_for_function(
        "() => window.vbCheck && window.vbCheck.state() === 'busy'"
        " && document.querySelector('#check-status').textContent"
    )
    assert "1 Sekunden" in await status.json_value()
    await page.wait_for_function("() => window.vbCheck.verdict() !== null", timeout=20000)
    assert refused and await page.evaluate("window.vbCheck.verdict()") == "video", results


async def test_check_from_invitation_with_no_connection_leads_to_fallback(browser, server) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    page = await (await browser.new_context(**PHONE)).new_page()

    async def lose_connection(route: Any) -> None:
        # As if the echo peer was unreachable from this network; the server still decides.
        body = json.loads(route.request.post_data or "{}")
        body.update(connected=False, rtt_ms=0, loss_percent=100, jitter_ms=0, bitrate_kbps=0)
        await route.continue_(post_data=json.dumps(body))

    await page.route("**/api/check/result", lose_connection)
    await page.goto(link)
    await page.wait_for_url("**/s/*")
    await page.click("#check-link")
    await page.wait_for_url("**/check")
    await page.wait_for_function("() => window.vbCheck && window.vbCheck.verdict() !== null", timeout=20000)
    assert await page.evaluate("window.vbCheck.verdict()") == "not_possible"
    assert await page.text_content("#verdict-text") == "Video ist hier nicht möglich."
    await page.click("#verdict-fallback a")
    await page.wait_for_url("**/fallback?reason=check_failed")
    assert await page.is_visible("#check-failed")


async def test_missing_camera_to_booked_phone_appointment_and_ics(browser, server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import icalendar

    rc, error = await _admitted_without_media(browser, server, "NotFoundError", "Requested device not found")
    await error.locator("a[href*='fallback']").click()
    await rc.wait_for_url("**/fallback?reason=media")
    assert "Kamera oder Mikrofon" in (await rc.text_content("#reason") or "")
    await rc.check("input[name=channel][value=phone]")
    await rc.fill("#phone", "030 1234567")
    first_slot = rc.locator("input[name=slot]").first
    chosen = await first_slot.get_attribute("value")
    assert chosen
    await first_slot.check()
    await rc.click("#booking-form button[type=submit]")
    await rc.wait_for_url("**/booking/manage/**")
    assert "gebucht" in (await rc.text_content("h1") or "")
    async with rc.expect_download() as info:
        await rc.click("#ics")
    download = await info.value
    target = tmp_path / "termin.ics"
    await download.save_as(target)
    raw = target.read_bytes()
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    start = event.decoded("dtstart")
    expected = datetime.strptime(chosen, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    assert start == expected and str(start.tzinfo) == "Europe/Berlin"
    local = expected.astimezone(start.tzinfo)
    assert f"DTSTART;TZID=Europe/Berlin:{local:%Y%m%dT%H%M%S}".encode() in raw
    assert f"{local:%H:%M}" in (await rc.text_content("#appointment-time") or "")
