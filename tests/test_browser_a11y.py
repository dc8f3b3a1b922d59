"""axe-core on every recipient page, at 320 px and desktop width, in German and Arabic;
the recipient's flow and the caseworker's admit with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_helpers import (
    NARROW,
    NO_SIDEWAYS_SCROLL,
    caseworker_session,
    check_both_widths,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


async def _admit_and_end(cw: Any, base: str, session_id: str, rc: Any) -> None:
    admit = cw.locator(".waiting-list li button").first
    await admit.wait_for()
    await admit.click()
    await cw.wait_for_url("**/call")
    await rc.wait_for_url("**/call")
    await rc.wait_for_function("() => window.vbCall && window.vbCall.state() === 'connected'", timeout=30000)


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_every_recipient_page_passes_axe_at_both_widths(browser, server, language: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = str(server.make_url("")).rstrip("/")
    cw, session_id, link = await caseworker_session(browser, base, language)
    context = await browser.new_context(viewport=NARROW)
    rc = await context.new_page()
    problems: list[str] = []

    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    assert await rc.get_attribute("html", "lang") == language
    assert await rc.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    await check_both_widths(rc, "landing", problems)
    for path, what in (
        ("/about", "start information"),
        ("/accessibility", "accessibility statement"),
        (f"/s/{session_id}/check", "device check"),
        (f"/s/{session_id}/no-consent", "no consent"),
        (f"/s/{session_id}/declined", "declined"),
        (f"/s/{session_id}/fallback?reason=media", "booking"),
        ("/s/00000000-0000-0000-0000-000000000000", "error page"),
    ):
        await rc.goto(base + path)
        await check_both_widths(rc, what, problems)
        if what == "booking":
            # On a phone: the days first, one day's times open (not 90 buttons, 3,400 px).
            assert await rc.locator("details.slot-day[open]").count() == 1
            assert await rc.evaluate("document.documentElement.scrollHeight") < 2500

    await rc.goto(f"{base}/s/{session_id}/consent")
    await check_both_widths(rc, "consent", problems)
    await rc.click("button[value=agree]")  # without the tick: the form again, with its error
    await rc.wait_for_selector(".error[role=alert]")
    await check_both_widths(rc, "consent with error", problems)
    await rc.check("#agree")
    await rc.click("button[value=agree]")
    await rc.wait_for_url("**/wait")
    await rc.wait_for_function("() => /1/.test(document.querySelector('#position').textContent)")
    await check_both_widths(rc, "waiting room", problems)

    await _admit_and_end(cw, base, session_id, rc)
    await check_both_widths(rc, "call", problems)

    await cw.goto(f"{base}/sessions/{session_id}")
    await cw.check("input[name=outcome][value=video]")
    await cw.click("#outcome-form button[type=submit]")
    await rc.wait_for_url("**/ended")
    await check_both_widths(rc, "ended", problems)
    await rc.click("#feedback-link")
    await rc.wait_for_url("**/feedback")
    await check_both_widths(rc, "feedback", problems)

    # A booking from the fallback page, its confirmation and the reschedule page.
    await rc.goto(f"{base}/s/{session_id}/fallback?reason=call_failed")
    await rc.check("input[name=channel][value=phone]")
    await rc.fill("#phone", "030 1234567")
    await rc.locator("details.slot-day[open] input[name=slot]").first.check()
    await rc.click("#booking-form button[type=submit]")
    await rc.wait_for_url("**/booking/manage/*")
    await check_both_widths(rc, "booking confirmation", problems)
    await rc.click("a[href$='/reschedule']")
    await rc.wait_for_url("**/reschedule")
    await check_both_widths(rc, "reschedule", problems)

    assert not problems, "\n".join(problems)


async def test_recipient_flow_and_admit_with_the_keyboard_alone(browser, server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = str(server.make_url("")).rstrip("/")
    cw, session_id, link = await caseworker_session(browser, base, "de")
    rc = await (await browser.new_context(viewport=NARROW)).new_page()
    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    # Landing → consent → waiting room: Tab, Space and Enter only.
    await tab_to(rc, "a.btn-primary[href$='/consent']")
    await rc.keyboard.press("Enter")
    await rc.wait_for_url("**/consent")
    await tab_to(rc, "#agree")
    await rc.keyboard.press("Space")
    await tab_to(rc, "button[value=agree]")
    await rc.keyboard.press("Enter")
    await rc.wait_for_url("**/wait")
    # The caseworker admits with the keyboard too.
    admit = cw.locator(".waiting-list li button").first
    await admit.wait_for()
    await tab_to(cw, ".waiting-list li button", limit=120)
    await cw.keyboard.press("Enter")
    await rc.wait_for_url("**/call")
    await rc.wait_for_function("() => window.vbCall && window.vbCall.state() === 'connected'", timeout=30000)
    # In the call: the microphone toggles from the keyboard.
    await tab_to(rc, "#mute")
    await rc.keyboard.press("Space")
    await rc.wait_for_function("() => document.querySelector('#mute').getAttribute('aria-pressed') === 'true'")
    # The way out, by keyboard: a phone appointment, a day, a time, booked.
    await rc.goto(f"{base}/s/{session_id}/fallback?reason=call_failed")
    await tab_to(rc, "input[name=channel][value=phone]")
    await rc.keyboard.press("Space")
    await tab_to(rc, "#phone")
    await rc.keyboard.type("030 1234567")
    await tab_to(rc, "details.slot-day[open] input[name=slot]")
    await rc.keyboard.press("Space")
    await tab_to(rc, "#booking-form button[type=submit]")
    await rc.keyboard.press("Enter")
    await rc.wait_for_url("**/booking/manage/*")
    assert await rc.is_visible("#appointment-time")
    assert await rc.evaluate(NO_SIDEWAYS_SCROLL)


async def test_check_figures_are_formatted_in_the_page_language(browser, server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import re

    base = str(server.make_url("")).rstrip("/")
    page = await (await browser.new_context(viewport=NARROW)).new_page()
    await page.goto(f"{base}/check?lang=tr")
    await page.wait_for_function("() => window.vbCheck && window.vbCheck.verdict() !== null", timeout=30000)
    loss = (await page.text_content("#fig-loss")) or ""
    assert re.fullmatch(r"%\d+,\d", loss), loss  # Turkish: the sign first, a decimal comma
    bitrate = (await page.text_content("#fig-bitrate")) or ""
    assert re.fullmatch(r"\d+(,\d)? [Mk]b/sn", bitrate.replace("\u00a0", " ")), bitrate  # "14,5 Mb/sn"


async def test_caseworker_pages_pass_axe_at_both_widths(browser, server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = str(server.make_url("")).rstrip("/")
    anonymous = await (await browser.new_context(viewport=NARROW)).new_page()
    await anonymous.goto(f"{base}/login")
    problems: list[str] = []
    await check_both_widths(anonymous, "login", problems)
    cw, session_id, _link = await caseworker_session(browser, base, "ar")
    for path, what in (
        ("/dashboard", "dashboard"),
        (f"/sessions/{session_id}", "session"),
        ("/availability", "availability"),
        (f"/sessions/{session_id}/call", "caseworker call"),
    ):
        await cw.goto(base + path)
        await check_both_widths(cw, what, problems)
    assert not problems, "\n".join(problems)
