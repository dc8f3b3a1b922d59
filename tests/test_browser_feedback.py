"""The feedback link finds the person: real Chromium, the recipient hangs up first."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import FeedbackBallotRow
from tests.conftest import csrf_from
from tests.test_booking_http import recipient
from tests.test_browser import _call_with_video
from tests.test_feedback_channels import _CODE, _done
from web.keys import DB

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

__all__ = ["recipient"]  # the fixture, re-used


async def test_open_end_page_shows_the_link_once_the_outcome_is_recorded(browser, server) -> None:  # type: ignore[no-untyped-def]
    cw, rc = await _call_with_video(browser, server)
    # The recipient hangs up first: the outcome is still open, so no link yet.
    await rc.click("#hangup")
    await rc.wait_for_url("**/ended")
    assert await rc.is_hidden("#feedback-offer")
    assert await rc.is_visible("#feedback-pending")
    await rc.evaluate("() => { window.vbSamePage = true; }")  # gone if the page reloads
    # The caseworker's hang-up leads straight to the outcome form, "held by video" chosen.
    await cw.click("#hangup")
    await cw.wait_for_url("**/outcome?connected=1#outcome-form")
    assert await cw.is_checked("input[name=outcome][value=video]")
    await cw.click("#outcome-form button[type=submit]")
    await cw.wait_for_url("**/sessions/*?ended=1#rating")
    # The open page shows the link without a reload (how soon: `make bench` on a quiet machine).
    await rc.wait_for_selector("#feedback-link", state="visible", timeout=15000)
    assert await rc.evaluate("() => window.vbSamePage === true")
    href = await rc.get_attribute("#feedback-link", "href")
    assert href and href.startswith("/feedback/t/")
    # A reload shows the same link again.
    await rc.reload()
    assert await rc.get_attribute("#feedback-link", "href") == href and await rc.is_visible("#feedback-link")
    # The answer is stored (in the ballot box, until a batch of 5 moves).
    await rc.click("#feedback-link")
    await rc.wait_for_url("**/feedback")
    # The follow-ups appear only when they apply.
    assert await rc.is_hidden("#q-why_not_video") and await rc.is_hidden("#q-why_not_recommend")
    await rc.check("input[name=recommend][value=yes]")
    await rc.check("input[name=next_by_video][value=no]")
    assert await rc.is_hidden("#q-why_not_recommend")
    await rc.check("input[name=why_not_video][value=documents]")
    await rc.check("input[name=satisfaction][value='4']")
    await rc.check("input[name=technical_quality][value=no_answer]")
    await rc.click("form[action='/feedback'] button[type=submit]")
    await rc.wait_for_url("**/feedback/thanks")
    async with server.app[DB]() as db:
        rows = [json.loads(r.payload) for r in await db.scalars(select(FeedbackBallotRow))]
    assert len(rows) == 1
    answer = rows[0]
    assert (answer["channel"], answer["recommend"], answer["next_by_video"]) == ("video", "yes", "no")
    assert (answer["why_not_video"], answer["satisfaction"], answer["technical_quality"]) == ("documents", 4, None)
    assert answer["device"] == "no_answer" and answer["questionnaire_version"] == "2"


async def test_phone_appointment_link_and_printed_code_in_the_browser(browser, server, recipient, clock) -> None:  # type: ignore[no-untyped-def]
    """A phone appointment marked done: the confirmation page shows the link, the answer
    counts under "phone"; an in-person appointment's printed code works once at /f."""
    base = str(server.make_url("")).rstrip("/")
    manage, _booking = await _done(recipient, "phone")
    clock.now = clock() + timedelta(days=1)  # after the appointment
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}{manage}")
    await page.click("#feedback-link")
    await page.wait_for_url("**/feedback")
    for question in ("technical_quality", "device", "setup_help"):  # phone: not asked
        assert await page.locator(f"input[name={question}]").count() == 0, question
    await page.check("input[name=recommend][value=no]")
    await page.check("input[name=satisfaction][value='5']")
    await page.click("form[action='/feedback'] button[type=submit]")
    await page.wait_for_url("**/feedback/thanks")
    async with server.app[DB]() as db:
        rows = [json.loads(r.payload) for r in await db.scalars(select(FeedbackBallotRow))]
    assert [(r["channel"], r["recommend"], r["satisfaction"]) for r in rows] == [("phone", "no", 5)]
    assert (rows[0]["device"], rows[0]["setup_help"]) == ("not_asked", "not_asked")
    await context.close()


async def test_printed_code_works_once_in_the_browser(browser, server, recipient) -> None:  # type: ignore[no-untyped-def]
    base = str(server.make_url("")).rstrip("/")
    caseworker = recipient[2]
    _manage, booking_id = await _done(recipient, "in_person")
    done = await (await caseworker.get(f"/appointments/{booking_id}/done")).text()
    card = await (
        await caseworker.post(f"/appointments/{booking_id}/feedback-card", data={"csrf_token": csrf_from(done)})
    ).text()
    match = _CODE.search(card)
    assert match and "<svg" in card
    code = match.group(1)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/f")
    await page.fill("#code", code.lower().replace("-", " "))  # typed loosely
    await page.click("form[action='/f'] button[type=submit]")
    await page.wait_for_url("**/feedback")
    await page.click("form[action='/feedback'] button[type=submit]")  # all "keine Angabe": voluntary
    await page.wait_for_url("**/feedback/thanks")
    await page.goto(f"{base}/f")
    await page.fill("#code", code)
    await page.click("form[action='/f'] button[type=submit]")
    assert "bereits verwendet" in await page.content()  # the code works once
    async with server.app[DB]() as db:
        rows = [json.loads(r.payload) for r in await db.scalars(select(FeedbackBallotRow))]
    assert [(r["channel"], r["recommend"], r["satisfaction"]) for r in rows] == [("in_person", "no_answer", None)]
    await context.close()
