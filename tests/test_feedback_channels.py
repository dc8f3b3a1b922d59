"""Every channel gets its link: phone and in-person appointments, and the printed card."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import FeedbackBallotRow, FeedbackOfferCountRow
from tests.conftest import csrf_from
from tests.test_booking_http import _book, _slot, recipient
from tests.test_feedback import GOOD
from web.keys import DB

pytestmark = pytest.mark.usefixtures("database")

__all__ = ["recipient"]  # the fixture, re-used

_LINK = re.compile(r'id="feedback-link" href="(/feedback/t/[A-Za-z0-9_-]+)"')
_CODE = re.compile(r'id="feedback-code">([A-Z0-9-]+)<')
_PHONE_ANSWER = {k: v for k, v in GOOD.items() if k != "technical_quality"}


async def _done(recipient, channel: str = "phone") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Book, then the caseworker marks the appointment done; (manage path, booking id)."""
    person, session_id, caseworker, csrf = recipient
    resp = await _book(person, session_id, slot=_slot(9), channel=channel)
    assert resp.status == 303
    manage = resp.headers["Location"]
    html = await (await caseworker.get("/dashboard")).text()
    match = re.search(r'action="/appointments/([0-9a-f-]{36})/complete"', html)
    assert match
    booking_id = match.group(1)
    resp = await caseworker.post(
        f"/appointments/{booking_id}/complete", data={"csrf_token": csrf, "status": "done"}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"] == f"/appointments/{booking_id}/done"
    return manage, booking_id


async def _ballots(app) -> list[dict]:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return [json.loads(r.payload) for r in await db.scalars(select(FeedbackBallotRow))]


async def test_phone_appointment_done_puts_the_link_on_the_confirmation_page(recipient, app, clock) -> None:  # type: ignore[no-untyped-def]
    person = recipient[0]
    manage, _booking = await _done(recipient)
    clock.now = clock() + timedelta(days=1)  # after the appointment: the page lives on for the link
    html = await (await person.get(manage)).text()
    match = _LINK.search(html)
    assert match, html
    link = match.group(1)
    assert _LINK.search(await (await person.get(manage)).text()).group(1) == link  # type: ignore[union-attr]
    resp = await person.get(link, allow_redirects=False)
    assert resp.status == 303
    form = await (await person.get("/feedback")).text()
    # Not asked after a phone appointment: picture and sound, the device, help setting it up.
    for question in ("technical_quality", "device", "setup_help"):
        assert f'name="{question}"' not in form, question
    resp = await person.post("/feedback", data={**_PHONE_ANSWER, "csrf_token": csrf_from(form)}, allow_redirects=False)
    assert resp.status == 303
    (answer,) = await _ballots(app)
    assert answer["channel"] == "phone" and answer["benefit_group"] == "sgb2"
    assert (answer["device"], answer["setup_help"]) == ("not_asked", "not_asked")  # a stray answer is dropped
    async with app[DB]() as db:
        counts = [(r.channel, r.offers) for r in await db.scalars(select(FeedbackOfferCountRow))]
    assert counts == [("phone", 1)]
    # Cancel and reschedule stay closed after the appointment.
    assert (await person.get(f"{manage}/reschedule")).status == 410


async def test_printed_card_code_works_once(recipient, app, new_client) -> None:  # type: ignore[no-untyped-def]
    person, _session_id, caseworker, _csrf = recipient
    _manage, booking_id = await _done(recipient, "in_person")
    page = await (await caseworker.get(f"/appointments/{booking_id}/done")).text()
    assert 'id="make-card"' in page
    resp = await caseworker.post(f"/appointments/{booking_id}/feedback-card", data={"csrf_token": csrf_from(page)})
    card = await resp.text()
    assert resp.status == 200 and "<svg" in card and "/f" in card
    match = _CODE.search(card)
    assert match
    code = match.group(1)
    assert len(code.replace("-", "")) <= 10
    # One token per appointment: no second card, no link on the confirmation page.
    page = await (await caseworker.get(f"/appointments/{booking_id}/done")).text()
    assert 'id="make-card"' not in page
    stranger = await new_client()
    form = await (await stranger.get("/f")).text()
    resp = await stranger.post("/f", data={"code": code.lower(), "csrf_token": csrf_from(form)}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/feedback"
    html = await (await stranger.get("/feedback")).text()
    resp = await stranger.post(
        "/feedback", data={**_PHONE_ANSWER, "csrf_token": csrf_from(html)}, allow_redirects=False
    )
    assert resp.status == 303
    (answer,) = await _ballots(app)
    assert answer["channel"] == "in_person"
    again = await new_client()
    form = await (await again.get("/f")).text()
    resp = await again.post("/f", data={"code": code, "csrf_token": csrf_from(form)})
    assert resp.status == 400  # used once: gone
    assert len(await _ballots(app)) == 1
