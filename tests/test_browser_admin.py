"""Real Chromium: administration, appointments that can be held, invitations, live waiting."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from email import message_from_bytes
from pathlib import Path

import icalendar
import pytest
from aiohttp import web
from sqlalchemy import update

from booking.appointment import Channel
from rooms.invitation_codes import gsm7_length
from rooms.invitation_text import SMS_LIMIT
from storage import users
from storage.models import Office
from tests.conftest import PASSWORD, TEST_PASSWORDS
from tests.test_appointment_detail import _book, _next_monday
from tests.test_browser import PHONE, _caseworker_creates_session  # noqa: F401
from tests.test_invitation_delivery import gateway, smtp  # noqa: F401
from web.app import create_app
from web.keys import MANAGE_LINKS
from web.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def app(settings: Settings, smtp, gateway) -> web.Application:  # noqa: F811  # type: ignore[no-untyped-def]
    return create_app(
        replace(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            sms_gateway_url=gateway[1],
            sms_api_key="test-key",
            delivery_timeout_seconds=5.0,
        )
    )


def _base(server) -> str:  # type: ignore[no-untyped-def]
    return str(server.make_url("")).rstrip("/")


async def _login(browser, base: str, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]  # noqa: F811
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/login?lang=en")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state()
    return page


async def test_admin_creates_office_and_caseworker_who_sets_password_and_logs_in(browser, server, db, clock) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await users.create_user(s, TEST_PASSWORDS, "chefin", PASSWORD, display_name="Chefin", role="admin", now=clock())
    base = _base(server)
    admin = await _login(browser, base, "chefin")
    await admin.wait_for_url(f"{base}/admin")
    await admin.click("a[href='/admin/offices/new']")
    await admin.fill("#name", "Amt Mitte")
    await admin.fill("#address", "irgendwo")
    await admin.fill("#hours_mon", "08:00-12:00")
    await admin.click("form button[type=submit].btn-primary")
    # Bad address: a clear message, and what was typed is still there.
    await admin.wait_for_selector("#office-error")
    assert await admin.input_value("#name") == "Amt Mitte"
    assert await admin.input_value("#hours_mon") == "08:00-12:00"
    await admin.fill("#address", "Musterstraße 12\n10115 Berlin")
    await admin.fill("#phone", "030 1234567")
    await admin.click("form button[type=submit].btn-primary")
    await admin.wait_for_url(re.compile(r".*/admin/offices/\d+\?saved=1"))
    await admin.goto(f"{base}/admin")
    await admin.fill("#username", "neu")
    await admin.fill("#display_name", "Herr Neu")
    await admin.select_option("#role", "caseworker")
    await admin.select_option("#office", label="Amt Mitte")
    await admin.click("form[action='/admin/users'] button[type=submit]")
    link = await admin.input_value("#password-link")
    assert "/password/" in link and PASSWORD not in await admin.content()

    person = await (await browser.new_context()).new_page()
    await person.goto(link)
    await person.fill("#password", "mein neues Passwort")
    await person.fill("#repeat", "mein neues Passwort")
    await person.click("form button[type=submit]")
    await person.wait_for_url("**/login?password=1")
    await person.fill("#username", "neu")
    await person.fill("#password", "mein neues Passwort")
    await person.click("form[action='/login'] button[type=submit]")
    await person.wait_for_url(f"{base}/dashboard")


async def test_phone_number_shown_to_its_caseworker_and_not_to_another(browser, server, app, clock) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    booking_id = await _book(app, Channel.PHONE)
    clock.now = _next_monday(8)
    base = _base(server)
    own = await _login(browser, base, "fachkraft")
    await own.wait_for_url(f"{base}/dashboard")
    await own.click(f"a[href='/appointments/{booking_id}']")
    assert (await own.inner_text("#recipient-phone")).strip() == "030 1234567"
    other = await _login(browser, base, "kollege")
    await other.wait_for_url(f"{base}/dashboard")
    assert await other.locator(f"a[href='/appointments/{booking_id}']").count() == 0
    response = await other.goto(f"{base}/appointments/{booking_id}")
    assert response.status == 404
    assert "1234567" not in await other.content()


async def test_in_person_ics_carries_location(browser, server, app, db) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await s.execute(update(Office).values(name="Amt Mitte", address="Musterstraße 12\n10115 Berlin"))
    booking_id = await _book(app, Channel.IN_PERSON, phone=None)
    from tests.test_appointment_detail import _next_monday as monday

    token = app[MANAGE_LINKS].issue(booking_id, monday(9))
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{_base(server)}/booking/manage/{token}")
    assert "Musterstraße 12, 10115 Berlin" in await page.inner_text("#office-address")
    async with page.expect_download() as info:
        await page.click("#ics")
    path = await (await info.value).path()
    event = next(iter(icalendar.Calendar.from_ical(Path(path).read_bytes()).walk("VEVENT")))
    assert str(event["LOCATION"]) == "Amt Mitte, Musterstraße 12, 10115 Berlin"


async def test_invitation_email_arrives_and_link_works_and_sms_fits(browser, server, smtp, gateway) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    inbox, _port = smtp
    base = _base(server)
    cw, _link = await _caseworker_creates_session(browser, base)
    await cw.go_back()
    await cw.wait_for_url("**/sessions/*")
    short = await cw.input_value("#invitation-link")
    assert "/j/" in short
    assert (gsm7_length(await cw.inner_text("#sms-preview")) or 999) <= SMS_LIMIT
    await cw.fill("#invite-email-address", "person@example.de")
    await cw.click("#invite-email button[type=submit]")
    await cw.wait_for_selector("#sent")
    envelope = await asyncio.wait_for(inbox.messages.get(), 10)
    body = message_from_bytes(envelope.original_content or b"").get_payload(decode=True).decode()  # type: ignore[union-attr]
    mailed = re.search(r"https?://\S+/j/[a-z2-7]{20}", body)
    assert mailed and mailed.group(0) == short
    await cw.fill("#invite-sms-number", "0151 23456789")
    await cw.click("#invite-sms button[type=submit]")
    await cw.wait_for_selector("#sent")
    state, _url = gateway
    assert (gsm7_length(state.received[0]["text"]) or 999) <= SMS_LIMIT
    # The caseworker's tab shows that someone waits, on the session page, when the mailed link is used.
    await cw.wait_for_selector("#dashboard-status[data-kind=info]")
    person = await (await browser.new_context(**PHONE)).new_page()
    await person.goto(mailed.group(0))
    await person.wait_for_url("**/s/*")
    await person.click("a.btn-primary")
    await person.wait_for_url("**/consent")
    await person.check("#agree")
    await person.click("button[value=agree]")
    await person.wait_for_url("**/wait")
    await cw.wait_for_function("() => document.title.startsWith('(1)')")
    await cw.wait_for_selector("li.waiting-entry .waited")


async def test_dashboard_title_changes_when_someone_waits(browser, server) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    base = _base(server)
    cw, link = await _caseworker_creates_session(browser, base)
    assert not (await cw.title()).startswith("(")
    person = await (await browser.new_context(**PHONE)).new_page()
    await person.goto(link)
    await person.wait_for_url("**/s/*")
    await person.click("a.btn-primary")
    await person.wait_for_url("**/consent")
    await person.check("#agree")
    await person.click("button[value=agree]")
    await person.wait_for_url("**/wait")
    await cw.wait_for_function("() => document.title.startsWith('(1) wartet')")
    assert "0 Min." in await cw.inner_text("li.waiting-entry .waited")


_RECORD_STATES = """() => {
  window.vbStates = [];
  window.vbTexts = [];
  const main = document.getElementById('call');
  const text = document.getElementById('conn-state');
  new MutationObserver(() => window.vbStates.push(main.dataset.state))
    .observe(main, { attributes: true, attributeFilter: ['data-state'] });
  new MutationObserver(() => window.vbTexts.push(text.textContent))
    .observe(text, { childList: true, characterData: true, subtree: true });
}"""


async def test_hang_up_by_the_other_side_is_not_a_dropped_connection(browser, server) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    from tests.test_browser import _call_with_video

    cw, rc = await _call_with_video(browser, server)
    await cw.evaluate(_RECORD_STATES)
    await rc.click("#hangup")
    await cw.wait_for_selector("#call[data-state=peer_hung_up]")
    assert "Die Person hat das Gespräch beendet" in await cw.inner_text("#conn-state")
    assert "peer_left" not in await cw.evaluate("window.vbStates")


async def test_dropped_connection_counts_the_grace_period_down(browser, server) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    from tests.test_browser import _call_with_video

    cw, rc = await _call_with_video(browser, server)
    await cw.evaluate(_RECORD_STATES)
    await rc.context.close()  # the phone loses its connection: no hang-up is sent
    await cw.wait_for_function("() => window.vbStates.includes('waiting_for_peer')", timeout=30000)
    states = await cw.evaluate("window.vbStates")
    texts = await cw.evaluate("window.vbTexts")
    assert "peer_left" in states and "peer_hung_up" not in states
    assert any(re.search(r"\d+ s", text) for text in texts), texts
