"""The recipient's way through every page in each of the seven languages, with a
pseudo-locale: every string from a catalogue comes marked (``Settings.pseudo_locale``), so
any visible text without the marks came from somewhere else — a string nobody can
translate. The same walk runs axe-core on every page at both widths in German and Arabic
(one walk, not two: the walk is a whole call)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from rooms.invitation_text import MAX_SEGMENTS, sms_length, sms_text
from rooms.invitations import InvitationSigner, load_or_create_key
from tests.browser_helpers import (
    NARROW,
    NO_SIDEWAYS_SCROLL,
    caseworker_session,
    check_both_widths,
)
from web.app import create_app
from web.i18n import LANGUAGES, language_info, translator
from web.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# Text that is no catalogue's business: the versioned consent text (its own file per
# language), names and codes kept as they are, Babel-formatted dates and times, the
# language names of the switcher, e-mail addresses.
_UNMARKED = """() => {
  const exempt = "script, style, [translate=no], time, [hreflang], article.consent-text, a[href^='mailto:']";
  const strip = (text) => text.replace(/\\u2e20[^\\u2e21]*\\u2e21/g, "");
  const found = [];
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || element.closest(exempt)) continue;
    const rest = strip(node.textContent);
    if (/\\p{L}/u.test(rest.replace(/Videoberatung|Jobcenter|SGB I+|BITV|WCAG|BGG/g, ""))) found.push(rest.trim());
  }
  for (const element of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (element.closest(exempt)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = element.getAttribute(name);
      if (value && /\\p{L}/u.test(strip(value))) found.push(`${name}=${value}`);
    }
  }
  return found;
}"""


@pytest.fixture
def app(settings: Settings) -> web.Application:
    # An SMS gateway address makes the session page show the SMS text (nothing is sent here).
    return create_app(
        replace(settings, pseudo_locale=True, sms_gateway_url="http://127.0.0.1:9/api/sms", sms_api_key="k")
    )


# axe-core at 320 px and desktop width on every page of the walk, in a left-to-right and
# a right-to-left language (the marks change no role, name, colour or size that axe checks).
AXE_LANGUAGES = ("de", "ar")


async def _look(page: Any, what: str, language: str, problems: list[str]) -> None:
    if await page.get_attribute("html", "lang") != language:
        problems.append(f"{language} {what}: the page is not in {language}")
    if await page.get_attribute("html", "dir") != language_info(language).direction:
        problems.append(f"{language} {what}: wrong direction")
    problems += [f"{language} {what}: {text!r}" for text in await page.evaluate(_UNMARKED)]
    if language in AXE_LANGUAGES:
        await check_both_widths(page, f"{language} {what}", problems)  # also: no sideways scroll at 320 px
    elif not await page.evaluate(NO_SIDEWAYS_SCROLL):
        problems.append(f"{language} {what}: scrolls sideways at 320 px")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_recipient_page_in_each_language(browser, server, settings, language: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Each page of the recipient's way, in the language: no text outside the catalogues,
    the language's direction, no sideways scrolling at 320 px, and axe-clean (de, ar)."""
    base = str(server.make_url("")).rstrip("/")
    cw, session_id, link = await caseworker_session(browser, base, language)
    problems: list[str] = []
    await _invitation_text(cw, base, session_id, link, language)
    await _first_visit_errors(browser, base, language, problems)
    rc = await (await browser.new_context(viewport=NARROW)).new_page()
    await rc.goto(link)
    await rc.wait_for_url("**/s/*")
    await _look(rc, "landing", language, problems)
    for path, what in (
        ("/about", "start information"),
        ("/accessibility", "accessibility statement"),
        (f"/s/{session_id}/check", "device check"),
        (f"/s/{session_id}/no-consent", "no consent"),
        (f"/s/{session_id}/declined", "declined"),
        (f"/s/{session_id}/fallback?reason=waited_too_long", "booking"),
        ("/s/00000000-0000-0000-0000-000000000000", "error page"),
    ):
        await rc.goto(base + path)
        await _look(rc, what, language, problems)
        if what == "booking":
            # On a phone: the days first, one day's times open (not 90 buttons, 3,400 px).
            assert await rc.locator("details.slot-day[open]").count() == 1
            assert await rc.evaluate("document.documentElement.scrollHeight") < 2500
    await _consent_and_wait(rc, base, session_id, language, problems)
    admit = cw.locator(".waiting-list li button").first
    await admit.wait_for()
    await admit.click()
    await rc.wait_for_url("**/call")
    await rc.wait_for_function("() => window.vbCall && window.vbCall.state() === 'connected'", timeout=30000)
    await _look(rc, "call", language, problems)
    await cw.goto(f"{base}/sessions/{session_id}")
    await cw.check("input[name=outcome][value=video]")
    await cw.click("#outcome-form button[type=submit]")
    await rc.wait_for_url("**/ended")
    await _look(rc, "ended", language, problems)
    await rc.click("#feedback-link")
    await rc.wait_for_url("**/feedback")
    await _look(rc, "feedback", language, problems)
    await _book_and_reschedule(rc, base, session_id, language, problems)
    await _expired_link(rc, base, session_id, settings, language, problems)
    assert not problems, "\n".join(problems)


async def _consent_and_wait(rc: Any, base: str, session_id: str, language: str, problems: list[str]) -> None:
    """The consent page, again with its error (agreed without the tick), then the waiting room."""
    await rc.goto(f"{base}/s/{session_id}/consent")
    assert await rc.get_attribute("article.consent-text", "data-language") == language
    await _look(rc, "consent", language, problems)
    await rc.click("button[value=agree]")
    await rc.wait_for_selector(".error[role=alert]")
    await _look(rc, "consent with error", language, problems)
    await rc.check("#agree")
    await rc.click("button[value=agree]")
    await rc.wait_for_url("**/wait")
    await rc.wait_for_function("() => /1/.test(document.querySelector('#position').textContent)")
    await _look(rc, "waiting room", language, problems)


async def _book_and_reschedule(rc: Any, base: str, session_id: str, language: str, problems: list[str]) -> None:
    """A phone appointment from the way out after a failed call, its confirmation, the reschedule page."""
    await rc.goto(f"{base}/s/{session_id}/fallback?reason=call_failed")
    await rc.check("input[name=channel][value=phone]")
    await rc.fill("#phone", "030 1234567")
    await rc.locator("details.slot-day[open] input[name=slot]").first.check()
    await rc.click("#booking-form button[type=submit]")
    await rc.wait_for_url("**/booking/manage/*")
    await _look(rc, "booking confirmation", language, problems)
    await rc.click("a[href$='/reschedule']")
    await rc.wait_for_url("**/reschedule")
    await _look(rc, "reschedule", language, problems)


async def _invitation_text(cw: Any, base: str, session_id: str, link: str, language: str) -> None:
    """The SMS the caseworker would send: in the session's language, with its count."""
    await cw.goto(f"{base}/sessions/{session_id}")
    preview = await cw.inner_text("#sms-preview")
    assert preview == sms_text(translator(language), link, None)
    assert (preview == sms_text(translator("en"), link, None)) is (language == "en")
    assert await cw.get_attribute("#sms-preview", "lang") == language
    length = sms_length(preview)
    assert length.segments <= MAX_SEGMENTS
    shown = await cw.inner_text("#sms-length")
    assert str(length.units) in shown and length.encoding in shown


async def _first_visit_errors(browser: Any, base: str, language: str, problems: list[str]) -> None:
    """A browser set to the language, on its first visit: error pages follow it."""
    context = await browser.new_context(viewport=NARROW, extra_http_headers={"Accept-Language": language})
    page = await context.new_page()
    for path, what in (("/join/garbage", "invalid link"), ("/f", "feedback code"), ("/accessibility", "statement")):
        await page.goto(base + path)
        await _look(page, f"first visit {what}", language, problems)
    await context.close()


async def _expired_link(
    rc: Any, base: str, session_id: str, settings: Settings, language: str, problems: list[str]
) -> None:
    """A genuine link opened too late: the office and the booking way out, in the language."""
    signer = InvitationSigner(
        load_or_create_key(settings.signing_key_path), issuer="videoberatung", audience="videoberatung:join"
    )
    now = datetime.now(UTC)
    token = signer.issue(session_id, str(uuid.uuid4()), now - timedelta(hours=5), now - timedelta(hours=1))
    response = await rc.goto(f"{base}/join/{token}")
    assert response is not None and response.status == 410
    await _look(rc, "expired link", language, problems)
    assert await rc.locator(f"#way-out a[href='/s/{session_id}/fallback']").count() == 1
