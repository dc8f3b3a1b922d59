"""Waiting too long is a dead end too: the waiting room then offers the booking."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp import web

from tests.test_browser import _caseworker_creates_session, _recipient_consents_and_waits  # noqa: F401
from web.app import create_app
from web.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(replace(settings, waiting_patience_seconds=1))


async def test_long_wait_offers_phone_or_in_person(browser, server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base = str(server.make_url("")).rstrip("/")
    _cw, link = await _caseworker_creates_session(browser, base)
    rc = await _recipient_consents_and_waits(browser, link)
    offer = rc.locator("#waited-long")
    await offer.wait_for(state="visible", timeout=10000)
    await offer.locator("a").click()
    await rc.wait_for_url("**/fallback?reason=waited_too_long")
    assert "zu lang" in (await rc.text_content("main") or "")
