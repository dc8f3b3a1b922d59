"""What the accessibility and language browser tests share: Chromium, axe-core, keyboard."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD

NARROW = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


async def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, as readable lines."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        targets = [str(node["target"]) for node in violation["nodes"]][:3]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {', '.join(targets)}")
    return found


async def check_both_widths(page: Any, what: str, problems: list[str]) -> None:
    """axe at 320 px and at desktop width, and no sideways scrolling at 320 px."""
    await page.set_viewport_size(NARROW)
    if not await page.evaluate(NO_SIDEWAYS_SCROLL):
        problems.append(f"{what}: scrolls sideways at 320 px")
    problems += [f"{what} @320: {v}" for v in await axe_violations(page)]
    await page.set_viewport_size(DESKTOP)
    problems += [f"{what} @1280: {v}" for v in await axe_violations(page)]
    await page.set_viewport_size(NARROW)


async def caseworker_session(browser: Any, base: str, language: str) -> tuple[Any, str, str]:
    """A logged-in caseworker page, a new session's id and its invitation link."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill("#username", "fachkraft")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/dashboard")
    await page.check("input[name=group][value=sgb2]")
    await page.select_option("#language", language)
    await page.click("form[action='/sessions'] button[type=submit]")
    await page.wait_for_url(f"{base}/sessions/*")
    session_id = page.url.rstrip("/").rsplit("/", 1)[1]
    link = await page.input_value("#invitation-link")
    await page.goto(f"{base}/dashboard")
    return page, session_id, link


async def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def until(page: Any, predicate: str, arg: Any = None, seconds: float = 15) -> Any:
    """Evaluate an async ``predicate`` until it resolves truthy; its value.

    Playwright's ``wait_for_function`` does not await a promise (any promise counts as
    truthy at once), so predicates that read ``getStats()`` poll here. Works with a
    Playwright page and with ``load_tests.firefox.FirefoxPage`` alike.
    """
    import asyncio

    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await page.evaluate(predicate, arg)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still false after {seconds} s: {predicate[:100]}")
        await asyncio.sleep(0.2)  # a poll of the page's state, as wait_for_function polls
