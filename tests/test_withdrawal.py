"""Consent withdrawal and the protocol-level consent gate, with real socket.io clients."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from sqlalchemy import select

from storage import consents
from storage.models import AuditRow
from tests.conftest import join_and_consent
from tests.sio import instance
from tests.test_signaling import SDP, _admit_and_call, _peer, _setup, peers
from web.keys import DB

__all__ = ["peers"]  # the fixture, re-used from the signalling tests

pytestmark = pytest.mark.usefixtures("database")

CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


def _code(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    return str(ack["error"]["code"])


async def test_withdrawal_ends_media_and_gates_the_relay(app, server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)

    assert await recipient.call("consent.withdraw", {}) == {"ok": True}
    assert await recipient.next("consent.withdrawn") == {"participant": participant}
    assert await recipient.call("consent.withdraw", {}) == {"ok": True}  # a double click
    assert await caseworker.next("consent.withdrawn") == {"participant": participant}

    # The recipient (skipping the UI) can no longer signal, and receives nothing.
    assert _code(await recipient.call("offer", {"sdp": SDP})) == "consent_required"
    assert _code(await recipient.call("candidate", CANDIDATE)) == "consent_required"
    assert _code(await caseworker.call("offer", {"sdp": SDP})) == "consent_required"
    assert _code(await caseworker.call("candidate", CANDIDATE)) == "consent_required"
    # Round trips on both sockets prove that anything relayed would have arrived by now.
    await recipient.call("hangup", {})
    await caseworker.call("hangup", {})
    assert recipient.pending("offer") == recipient.pending("candidate") == 0
    assert caseworker.pending("offer") == caseworker.pending("candidate") == 0

    async with app[DB]() as db:
        assert await consents.current_consent(db, participant) is None
        [record] = (await consents.consents_of_session(db, ctx["session"])).values()
        assert record.withdrawn_at is not None
        events = list(await db.scalars(select(AuditRow).where(AuditRow.event == "consent.withdrawn")))
    assert len(events) == 1 and participant not in events[0].detail


async def test_consenting_again_restores_the_call(app, server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)
    assert await recipient.call("consent.withdraw", {}) == {"ok": True}
    await caseworker.next("consent.withdrawn")
    await recipient.close()
    await caseworker.next("peer.left")

    # Without a current record the call page is refused.
    blocked = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await blocked.connect(
            server,
            ctx["rc"],
            {"role": "recipient", "session": ctx["session"], "instance": instance()},
        )
    page = await ctx["rc"].get(f"/s/{ctx['session']}/call", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].endswith("/consent")

    # A fresh record; admission stays, so the call works again.
    await join_and_consent(ctx["rc"], ctx["join"])
    page = await ctx["rc"].get(f"/s/{ctx['session']}/wait", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].endswith("/call")
    html = await (await ctx["rc"].get(f"/s/{ctx['session']}/call")).text()
    assert 'id="withdraw"' in html and "Einwilligung widerrufen" in html
    staff_html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}/call")).text()
    assert 'id="withdraw"' not in staff_html
    fallback = await ctx["rc"].get(f"/s/{ctx['session']}/fallback?reason=withdrawn")
    assert "Sie haben Ihre Einwilligung widerrufen" in await fallback.text()
    again = _peer(peers)
    await again.connect(server, ctx["rc"], {"role": "recipient", "session": ctx["session"], "instance": instance()})
    assert (await caseworker.next("peer.joined"))["participant"] == participant
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert (await again.next("offer"))["sdp"] == SDP
    async with app[DB]() as db:
        assert await consents.current_consent(db, participant) is not None
        assert len(await consents.consents_of_session(db, ctx["session"])) == 1  # newest per participant


async def test_waiting_recipient_withdraws_and_leaves_the_queue(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    update = await ctx["dashboard"].next("lobby.update")
    participant = update["waiting"][0]["participant"]
    assert await ctx["waiting"].call("consent.withdraw") == {"ok": True}
    assert await ctx["waiting"].next("consent.withdrawn") == {"participant": participant}
    assert await ctx["dashboard"].next("lobby.update") == {"session": ctx["session"], "waiting": []}


async def test_only_recipients_withdraw_here(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, _recipient, _ = await _admit_and_call(server, ctx, peers)
    assert _code(await caseworker.call("consent.withdraw", {})) == "forbidden"
    assert _code(await ctx["dashboard"].call("consent.withdraw", {})) == "forbidden"
    assert _code(await caseworker.call("consent.withdraw", "x")) == "bad_payload"
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
