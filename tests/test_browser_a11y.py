"""The recipient's flow and the caseworker's admit with the keyboard alone; axe-core on the
caseworker's pages at 320 px and desktop width. (axe on every recipient page, in German
and Arabic, runs in the language walk: tests/test_browser_languages.py.)"""

from __future__ import annotations

import pytest

from tests.browser_helpers import (
    NARROW,
    NO_SIDEWAYS_SCROLL,
    caseworker_session,
    check_both_widths,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


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
