"""Client-sent event names and floods, over raw engine.io frames against a real port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import cookie_header, create_session, join_and_consent, login
from tests.rawsocket import RawSocket
from tests.sio import Peer, instance
from web.keys import SIGNALING

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.7 54321 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for thing in made:
        await thing.close()


async def _call(server: Any, new_client: Any, closing: list[Any]) -> dict[str, Any]:
    """A caseworker in the call (socket.io client) and an admitted recipient's raw socket."""
    cw = await new_client()
    csrf = await login(cw)
    session_id, join_path = await create_session(cw, csrf)
    dashboard = Peer()
    closing.append(dashboard)
    await dashboard.connect(server, cw, {"role": "dashboard"})
    await dashboard.next("lobby.snapshot")
    rc = await new_client()
    await join_and_consent(rc, join_path)
    waiting = Peer()
    await waiting.connect(
        server, rc, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    )
    participant = (await dashboard.next("lobby.update"))["waiting"][0]["participant"]
    admitted = await dashboard.call("lobby.admit", {"session": session_id, "participant": participant})
    assert admitted == {"ok": True, "role": "recipient"}
    await waiting.next("lobby.admitted")
    await waiting.close()
    caseworker = Peer()
    closing.append(caseworker)
    await caseworker.connect(server, cw, {"role": "caseworker", "session": session_id, "instance": instance()})
    await caseworker.next("call.peers")
    raw = RawSocket()
    closing.append(raw)
    await raw.open(server, cookie_header(rc))
    await raw.connect({"role": "recipient", "session": session_id, "instance": instance()})
    joined = await caseworker.next("peer.joined")
    assert joined["participant"] == participant
    return {
        "caseworker": caseworker,
        "raw": raw,
        "participant": participant,
        "session": session_id,
        "cookie": cookie_header(rc),
    }


async def test_client_sent_disconnect_and_connect_change_nothing(server, app, new_client, closing, caplog) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    raw, caseworker = ctx["raw"], ctx["caseworker"]
    caplog.set_level(logging.WARNING)
    await raw.send('421["disconnect"]')
    await raw.send('422["disconnect","client namespace disconnect"]')
    await raw.send('423["connect",{"role":"dashboard"}]')
    await raw.send('424["connect_error"]')
    await raw.send('425["no.such.event",{}]')
    await raw.send("426[]")
    await raw.send('427[17,"x"]')
    for ack_id in (1, 2, 3, 4):
        assert (await raw.ack(ack_id))["error"]["code"] == "reserved_event"
    for ack_id in (5, 6, 7):
        assert (await raw.ack(ack_id))["error"]["code"] == "unknown_event"
    await raw.send('42["disconnect"]')  # without an ack id: silently refused as well
    # A round trip of the caseworker's own after all that: nothing was announced.
    assert (await caseworker.call("record.start", {}))["ok"] is False
    assert caseworker.pending("peer.left") == 0
    # Presence and rooms agree: the recipient is still in the call, so it still gets
    # what is relayed (it is there, visibly, not as an invisible listener).
    assert app[SIGNALING].peers.sockets_of(ctx["participant"])
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    await raw.wait(lambda: raw.received("offer"))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # Only the transport changes presence: closing the websocket is a departure.
    await raw.close()
    left = await caseworker.next("peer.left")
    assert left["participant"] == ctx["participant"]


async def test_normal_call_set_up_is_never_limited(server, new_client, closing) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    caseworker = ctx["caseworker"]
    for _attempt in range(2):  # the first set-up, then an ICE restart
        assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
        acks = await asyncio.gather(*(caseworker.call("candidate", CANDIDATE) for _ in range(60)))
        assert all(a == {"ok": True} for a in acks), acks
    raw = ctx["raw"]
    for i in range(20):
        await raw.send(f"42{100 + i}" + json.dumps(["candidate", CANDIDATE]))
    assert [await raw.ack(100 + i) for i in range(20)] == [{"ok": True}] * 20


async def test_candidate_flood_is_limited_and_the_flooder_disconnected(server, new_client, closing) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    raw, caseworker = ctx["raw"], ctx["caseworker"]
    frame = json.dumps(["candidate", CANDIDATE])
    sent = 0
    for i in range(5000):
        if raw.closed.is_set():
            break
        await raw.send(f"42{i}{frame}")
        sent += 1
        if i % 100 == 99:
            # Each hundred waits for its last reply or the close, so the reader keeps up.
            with contextlib.suppress(AssertionError):
                await raw.wait(lambda last=i: last in raw.acks or raw.closed.is_set())
    await asyncio.wait_for(raw.closed.wait(), 30)
    replies = [a[0] for a in raw.acks.values() if a]
    ok = sum(1 for r in replies if r.get("ok"))
    limited = sum(1 for r in replies if r.get("error", {}).get("code") == "rate_limited")
    assert limited > 0
    assert ok < 1000  # the burst and its refill, not the flood
    # The other side got what was accepted (acks in flight are lost with the connection).
    await caseworker.call("record.start", {})
    assert caseworker.pending("candidate") < 1000
    assert caseworker.sio.connected  # and its own connection is fine
    assert (await caseworker.next("peer.left"))["participant"] == ctx["participant"]  # it left, visibly
