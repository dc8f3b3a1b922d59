"""The manage link sent to oneself from the booking confirmation (issue 26): SMS through the
gateway boundary, e-mail to a real aiosmtpd; the number or address is kept nowhere."""

from __future__ import annotations

import logging
from dataclasses import replace
from email import message_from_bytes

import pytest
from aiohttp import web
from sqlalchemy import String, Text, select

from booking.phone import normalize_phone
from storage.models import AuditRow
from tests.conftest import csrf_from
from tests.test_booking_http import _book, _slot, recipient  # noqa: F401  (the fixture)
from tests.test_invitation_delivery import BROKEN, OK, gateway, smtp  # noqa: F401  (fixtures)
from web.app import create_app
from web.keys import DB
from web.settings import Settings

ADDRESS = "sich.selbst@example.de"


@pytest.fixture
def app(settings: Settings, smtp, gateway) -> web.Application:  # type: ignore[no-untyped-def]  # noqa: F811
    return create_app(
        replace(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            smtp_from="termine@example.de",
            sms_gateway_url=gateway[1],
            sms_api_key="test-key",
            delivery_timeout_seconds=1.0,
        )
    )


async def _booked(recipient) -> tuple[object, str, str]:  # type: ignore[no-untyped-def]  # noqa: F811
    person, session_id, _cw, _csrf = recipient
    resp = await _book(person, session_id, slot=_slot(9), channel="in_person")
    assert resp.status == 303
    manage = resp.headers["Location"]
    html = await (await person.get(manage)).text()
    assert "Wir speichern sie nicht." in html and 'id="send-link"' in html
    return person, manage, csrf_from(html)


async def _stored_text(app: web.Application) -> str:
    """Every text column of every table, as one string."""
    from storage.models import Base

    found: list[str] = []
    async with app[DB]() as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if columns:
                for row in (await db.execute(select(*columns))).all():
                    found.extend(str(value) for value in row if value is not None)
    return "\n".join(found)


async def test_sms_and_email_arrive_and_the_number_and_address_are_kept_nowhere(  # type: ignore[no-untyped-def]
    recipient,  # noqa: F811
    app,
    smtp,  # noqa: F811
    gateway,  # noqa: F811
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="aiosqlite")
    person, manage, csrf = await _booked(recipient)
    resp = await person.post(f"{manage}/send/sms", data={"csrf_token": csrf, "phone": OK}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].endswith("?sent=sms#send-link")
    sms = gateway[0].received[-1]
    assert sms["to"] == normalize_phone(OK) and manage in sms["text"] and "Jobcenter" not in sms["text"]
    assert "verschieben oder absagen" in sms["text"]
    resp = await person.post(f"{manage}/send/email", data={"csrf_token": csrf, "email": ADDRESS}, allow_redirects=False)
    assert resp.status == 303
    envelope = smtp[0].messages.get_nowait()
    mail = message_from_bytes(envelope.content)  # type: ignore[arg-type]
    assert envelope.rcpt_tos == [ADDRESS] and mail["Subject"] == "Ihr Termin"
    assert manage in str(mail.get_payload(decode=True), "utf-8")
    assert "Der Link wurde gesendet." in await (await person.get(f"{manage}?sent=email")).text()
    stored = await _stored_text(app)
    digits = normalize_phone(OK).lstrip("+")
    assert digits not in stored and OK not in stored and ADDRESS not in stored
    assert digits not in caplog.text and ADDRESS not in caplog.text and "23456789" not in caplog.text
    async with app[DB]() as db:
        events = set((await db.scalars(select(AuditRow.event))).all())
    assert {"booking.manage_link_sms", "booking.manage_link_email"} <= events


async def test_the_page_language_carries_into_the_sms(recipient, app, gateway) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    person, manage, csrf = await _booked(recipient)
    resp = await person.post(
        f"{manage}/send/sms?lang=uk", data={"csrf_token": csrf, "phone": OK}, allow_redirects=False
    )
    assert resp.status == 303
    assert "Переглянути, перенести або скасувати" in gateway[0].received[-1]["text"]


@pytest.mark.parametrize(
    ("channel", "field", "value", "status", "message"),
    [
        ("sms", "phone", "12", 400, "gültige Handynummer"),
        ("sms", "phone", "", 400, "gültige Handynummer"),
        ("email", "email", "keine-adresse", 400, "gültige E-Mail-Adresse"),
        ("email", "email", "refused@example.de", 400, "abgelehnt"),
        ("sms", "phone", BROKEN, 502, "nicht erreichbar"),
    ],
)
async def test_bad_input_shows_the_form_again(  # type: ignore[no-untyped-def]
    recipient,  # noqa: F811
    app,
    smtp,  # noqa: F811
    gateway,  # noqa: F811
    channel: str,
    field: str,
    value: str,
    status: int,
    message: str,
) -> None:
    person, manage, csrf = await _booked(recipient)
    resp = await person.post(f"{manage}/send/{channel}", data={"csrf_token": csrf, field: value})
    html = await resp.text()
    assert resp.status == status and message in html and 'id="send-link-error"' in html
    assert f'value="{value}"' in html
    assert gateway[0].received == [] and smtp[0].messages.empty()


async def test_three_sends_per_booking_then_429_and_csrf_required(recipient, app, gateway) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    person, manage, csrf = await _booked(recipient)
    for _ in range(3):
        resp = await person.post(f"{manage}/send/sms", data={"csrf_token": csrf, "phone": OK}, allow_redirects=False)
        assert resp.status == 303
    resp = await person.post(f"{manage}/send/sms", data={"csrf_token": csrf, "phone": OK})
    assert resp.status == 429 and "mehrmals gesendet" in await resp.text()
    assert len(gateway[0].received) == 3
    resp = await person.post(f"{manage}/send/email", data={"phone": OK})
    assert resp.status == 403
    tampered = manage[:-3] + ("AAA" if not manage.endswith("AAA") else "BBB")
    resp = await person.post(f"{tampered}/send/sms", data={"csrf_token": csrf, "phone": OK})
    assert 400 <= resp.status < 500 and len(gateway[0].received) == 3
