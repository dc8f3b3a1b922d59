"""Invitations that reach people: short link, QR, e-mail to a real aiosmtpd, SMS to a local gateway."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from booking.phone import normalize_phone
from rooms.invitation_codes import gsm7_length
from rooms.invitation_text import (
    MAX_SEGMENTS,
    SMS_LIMIT,
    SmsLength,
    mail_body,
    mail_subject,
    sms_length,
    sms_text,
)
from storage.models import AuditRow, InvitationCodeRow, InvitationDeliveryRow
from tests.conftest import create_session, csrf_from, join_and_consent, login
from web.app import create_app
from web.i18n import LANGUAGES, translator
from web.keys import DB
from web.settings import Settings

_SHORT = re.compile(r'id="invitation-link" class="link" readonly value="([^"]+)"')


class _Inbox:
    """An aiosmtpd handler: every accepted message lands in a queue; 'refused@' is refused."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[Envelope] = asyncio.Queue()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self.messages.put(envelope)
        return "250 OK"


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield inbox, port
    server.close()
    await server.wait_closed()


@dataclass
class _Gateway:
    received: list[dict[str, str]] = field(default_factory=list)
    never: asyncio.Event = field(default_factory=asyncio.Event)


OK, BROKEN, SLOW, REFUSED = "0151 23456789", "0151 23456780", "0151 23456781", "0151 23456782"


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[_Gateway, str]]:
    """A local HTTP server standing in for the SMS gateway (seven.io's form API)."""
    state = _Gateway()

    async def sms(request: web.Request) -> web.StreamResponse:
        form = dict(await request.post())
        assert request.headers["X-Api-Key"] == "test-key"
        to = str(form["to"])
        if to == normalize_phone(BROKEN):
            return web.Response(status=503, text="down")
        if to == normalize_phone(SLOW):
            await state.never.wait()
        if to == normalize_phone(REFUSED):
            return web.json_response({"success": "202"})
        state.received.append({k: str(v) for k, v in form.items()})
        return web.json_response({"success": "100", "messages": [{"id": "1"}]})

    app = web.Application()
    app.router.add_post("/api/sms", sms)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("/api/sms"))
    state.never.set()
    await server.close()


@pytest.fixture
def app(settings: Settings, smtp, gateway) -> web.Application:  # type: ignore[no-untyped-def]
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


async def _session_page(client, csrf: str, language: str = "de") -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    session_id, _long = await create_session(client, csrf, language=language)
    html = await (await client.get(f"/sessions/{session_id}")).text()
    short = _SHORT.search(html)
    assert short
    return session_id, short.group(1), html


async def test_short_link_fits_one_sms_and_joins_like_the_jwt(client, new_client, app) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, link, html = await _session_page(client, csrf)
    code = link.rsplit("/", 1)[1]
    assert re.fullmatch(r"[a-z2-7]{20}", code)
    assert 'id="invitation-qr" src="data:image/svg+xml' in html and 'id="copy-link"' in html
    # Stable across page views, and only its hash is stored.
    again = await (await client.get(f"/sessions/{session_id}")).text()
    assert link in again
    async with app[DB]() as db:
        stored = list(await db.scalars(select(InvitationCodeRow)))
    assert len(stored) == 1 and code not in stored[0].code_hash
    # The text with a 30-character host fits one GSM-7 segment.
    host30 = "https://" + "v" * 30
    text = sms_text(translator("de"), f"{host30}/j/{code}", datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    assert gsm7_length(text) is not None and gsm7_length(text) <= SMS_LIMIT  # type: ignore[operator]
    assert "Jobcenter" not in text and "SGB" not in text
    recipient = await new_client()
    assert await join_and_consent(recipient, f"/j/{code}") == session_id
    # Upper case (typed from a letter) works too: the same device goes straight on.
    resp = await recipient.get(f"/j/{code.upper()}", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/s/{session_id}"
    # On a second device the short link, like the long one, makes no second participant:
    # it offers to continue there, and continuing moves the same participant.
    other = await new_client()
    resp = await other.get(f"/j/{code.upper()}", allow_redirects=False)
    assert resp.status == 409
    page = await resp.text()
    moved = await other.post(f"/j/{code}", data={"csrf_token": csrf_from(page)}, allow_redirects=False)
    assert moved.status == 303 and moved.headers["Location"] == f"/s/{session_id}"


async def test_short_link_is_revocable_expiring_and_unguessable(database, client, new_client, clock) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, link, _html = await _session_page(client, csrf)
    code = link.rsplit("/", 1)[1]
    person = await new_client()
    wrong = "a" * 20 if code != "a" * 20 else "b" * 20
    assert (await person.get(f"/j/{wrong}", allow_redirects=False)).status == 400
    assert (await person.get("/j/short", allow_redirects=False)).status == 400
    await client.post(f"/sessions/{session_id}/revoke", data={"csrf_token": csrf})
    revoked = await person.get(f"/j/{code}", allow_redirects=False)
    assert revoked.status == 410
    new_html = await (await client.get(f"/sessions/{session_id}")).text()
    new_link = _SHORT.search(new_html)
    assert new_link and new_link.group(1) != link
    clock.now = datetime.now(UTC) + timedelta(hours=13)
    assert (await person.get(new_link.group(1)[new_link.group(1).index("/j/") :])).status == 410


async def test_invitation_email_arrives_and_its_link_works(client, new_client, smtp, app) -> None:  # type: ignore[no-untyped-def]
    inbox, _port = smtp
    csrf = await login(client)
    session_id, link, html = await _session_page(client, csrf)
    resp = await client.post(
        f"/sessions/{session_id}/invite/email",
        data={"csrf_token": csrf_from(html), "email": "person@example.de"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    envelope = await asyncio.wait_for(inbox.messages.get(), 10)
    assert envelope.rcpt_tos == ["person@example.de"]
    message = message_from_bytes(envelope.original_content or b"")
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert link in body
    for word in ("Jobcenter", "SGB"):
        assert word not in body and word not in str(message["Subject"])
    recipient = await new_client()
    assert await join_and_consent(recipient, link[link.index("/j/") :]) == session_id
    async with app[DB]() as db:
        states = [(r.channel, r.state) for r in await db.scalars(select(InvitationDeliveryRow))]
        details = " ".join(r.detail for r in await db.scalars(select(AuditRow)))
    assert states == [("email", "sent")]
    assert "person@example.de" not in details
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert 'id="deliveries"' in page and "person@example.de" not in page


async def test_bad_or_refused_email_keeps_the_address_on_the_form(client, smtp) -> None:  # type: ignore[no-untyped-def]
    await client.get("/login?lang=en")
    csrf = await login(client)
    session_id, _link, html = await _session_page(client, csrf)
    token = csrf_from(html)
    bad = await client.post(f"/sessions/{session_id}/invite/email", data={"csrf_token": token, "email": "kein at"})
    text = await bad.text()
    assert bad.status == 400 and "valid e-mail address" in text and 'value="kein at"' in text
    refused = await client.post(
        f"/sessions/{session_id}/invite/email", data={"csrf_token": token, "email": "refused@example.de"}
    )
    text = await refused.text()
    assert refused.status == 400 and "was refused" in text and 'value="refused@example.de"' in text


async def test_sms_goes_through_the_gateway_in_one_segment(client, gateway, app) -> None:  # type: ignore[no-untyped-def]
    state, _url = gateway
    csrf = await login(client)
    session_id, link, html = await _session_page(client, csrf)
    resp = await client.post(
        f"/sessions/{session_id}/invite/sms", data={"csrf_token": csrf_from(html), "phone": OK}, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()
    [sent] = state.received
    assert sent["to"] == "+4915123456789" and link in sent["text"]
    assert (gsm7_length(sent["text"]) or 999) <= SMS_LIMIT
    async with app[DB]() as db:
        states = [(r.channel, r.state) for r in await db.scalars(select(InvitationDeliveryRow))]
    assert states == [("sms", "sent")]


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [
        ("12", 400, "valid mobile number"),
        (BROKEN, 502, "not available right now"),
        (SLOW, 504, "did not answer in time"),
        (REFUSED, 400, "was refused"),
    ],
)
async def test_sms_failures_get_a_clear_message_and_keep_the_number(client, number, status, message) -> None:  # type: ignore[no-untyped-def]
    await client.get("/login?lang=en")
    csrf = await login(client)
    session_id, _link, html = await _session_page(client, csrf)
    resp = await client.post(
        f"/sessions/{session_id}/invite/sms", data={"csrf_token": csrf_from(html), "phone": number}
    )
    text = await resp.text()
    assert resp.status == status
    assert message in text and f'value="{number}"' in text


def test_sms_segments_are_counted_as_the_network_counts_them() -> None:
    assert sms_length("a" * 160) == SmsLength("GSM-7", 160, 1)
    assert (sms_length("a" * 161).segments, sms_length("a" * 306).segments, sms_length("a" * 307).segments) == (2, 2, 3)
    assert sms_length("€" * 80).units == 160 and sms_length("€" * 81).segments == 2  # extension: two septets
    ucs = sms_length("я" * 70)
    assert (ucs.encoding, ucs.units, ucs.segments) == ("UCS-2", 70, 1)
    assert (sms_length("я" * 71).segments, sms_length("я" * 134).segments, sms_length("я" * 135).segments) == (2, 2, 3)
    assert sms_length("a" * 69 + "\U0001f600").units == 71  # an emoji takes two UTF-16 units
    assert sms_length("ş").encoding == "UCS-2" and sms_length("ö").encoding == "GSM-7"


# The longest link we expect: a 30-character host and the 20-character code.
_LONG_LINK = "https://" + "v" * 30 + "/j/" + "a" * 20


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("scheduled", [None, datetime(2026, 12, 3, 9, 30, tzinfo=UTC)])
def test_every_language_has_its_own_invitation_within_two_segments(code: str, scheduled: datetime | None) -> None:
    translate = translator(code)
    text = sms_text(translate, _LONG_LINK, scheduled)
    english = sms_text(translator("en"), _LONG_LINK, scheduled)
    assert (text == english) is (code == "en")
    assert _LONG_LINK in text and (scheduled is None or ("03.12.2026" in text and "10:30" in text))
    length = sms_length(text)
    assert length.segments <= MAX_SEGMENTS, (code, length)
    if code in ("de", "en", "tr", "de-x-ls"):
        # Latin-script languages stay in GSM-7 and one SMS (Turkish avoids ş, ğ, ı there).
        assert (length.encoding, length.segments) == ("GSM-7", 1), (code, text)
    body = mail_body(translate, _LONG_LINK, scheduled)
    assert _LONG_LINK in body and (body == mail_body(translator("en"), _LONG_LINK, scheduled)) is (code == "en")
    for word in ("Jobcenter", "Agentur", "SGB"):
        assert word not in text and word not in mail_subject(translate) and word not in body


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [("ar", "دعوتك إلى موعد عبر الفيديو", "مرحبًا،"), ("uk", "Ваше запрошення на відеоконсультацію", "Добрий день,")],
)
async def test_the_email_speaks_the_sessions_language(client, smtp, language, subject, greeting) -> None:  # type: ignore[no-untyped-def]
    inbox, _port = smtp
    csrf = await login(client)
    session_id, link, html = await _session_page(client, csrf, language)
    resp = await client.post(
        f"/sessions/{session_id}/invite/email",
        data={"csrf_token": csrf_from(html), "email": "person@example.de"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    envelope = await asyncio.wait_for(inbox.messages.get(), 10)
    message = message_from_bytes(envelope.original_content or b"")
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(str(message["Subject"])))) == subject
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")  # type: ignore[union-attr]
    assert body.startswith(greeting) and link in body


@pytest.mark.parametrize("language", ["ar", "uk", "ru"])
async def test_a_cyrillic_or_arabic_sms_stays_within_two_segments(client, gateway, language) -> None:  # type: ignore[no-untyped-def]
    state, _url = gateway
    csrf = await login(client)
    session_id, link, html = await _session_page(client, csrf, language)
    # The form shows the text, its length and its encoding.
    preview = sms_length(sms_text(translator(language), link, None))
    assert f"{preview.segments} SMS, {preview.units} Zeichen, UCS-2" in html
    resp = await client.post(
        f"/sessions/{session_id}/invite/sms", data={"csrf_token": csrf_from(html), "phone": OK}, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()
    [sent] = state.received
    assert sent["text"] == sms_text(translator(language), link, None) and link in sent["text"]
    length = sms_length(sent["text"])
    assert length.encoding == "UCS-2" and length.segments <= MAX_SEGMENTS
