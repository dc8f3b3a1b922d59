"""Signalling with real socket.io clients against the real app on a real port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from tests.conftest import cookie_header, create_session, join_and_consent, login
from tests.recipients import extra_recipient
from tests.sio import Peer, instance

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()


def _peer(peers: list[Peer]) -> Peer:
    peer = Peer()
    peers.append(peer)
    return peer


async def _setup(server: Any, new_client: Any, peers: list[Peer]) -> dict[str, Any]:
    """A caseworker with a dashboard socket, a session, and a recipient who consented and waits."""
    cw = await new_client()
    csrf = await login(cw)
    session_id, join_path = await create_session(cw, csrf)
    dashboard = _peer(peers)
    await dashboard.connect(server, cw, {"role": "dashboard"})
    snapshot = await dashboard.next("lobby.snapshot")
    assert snapshot == {"sessions": {session_id: []}}
    rc = await new_client()
    await join_and_consent(rc, join_path)
    waiting = _peer(peers)
    await waiting.connect(
        server, rc, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    )
    return {
        "cw": cw,
        "csrf": csrf,
        "session": session_id,
        "dashboard": dashboard,
        "rc": rc,
        "waiting": waiting,
        "join": join_path,
    }


async def _admit_and_call(server: Any, ctx: dict[str, Any], peers: list[Peer]) -> tuple[Peer, Peer, str]:
    update = await ctx["dashboard"].next("lobby.update")
    participant = update["waiting"][0]["participant"]
    ack = await ctx["dashboard"].call("lobby.admit", {"session": ctx["session"], "participant": participant})
    assert ack == {"ok": True, "role": "recipient"}
    assert await ctx["waiting"].next("lobby.admitted") == {"session": ctx["session"]}
    caseworker = _peer(peers)
    await caseworker.connect(
        server, ctx["cw"], {"role": "caseworker", "session": ctx["session"], "instance": instance()}
    )
    assert (await caseworker.next("call.peers"))["peers"] == []
    recipient = _peer(peers)
    await recipient.connect(server, ctx["rc"], {"role": "recipient", "session": ctx["session"], "instance": instance()})
    peers_msg = await recipient.next("call.peers")
    assert [p["role"] for p in peers_msg["peers"]] == ["caseworker"]
    joined = await caseworker.next("peer.joined")
    assert joined["participant"] == participant and joined["role"] == "recipient"
    return caseworker, recipient, participant


async def test_waiting_room_shows_arrival_and_position(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    update = await ctx["dashboard"].next("lobby.update")
    assert update["session"] == ctx["session"]
    [entry] = update["waiting"]
    assert entry["position"] == 1 and entry["consent"] is True
    assert await ctx["waiting"].next("lobby.position") == {"position": 1, "waiting": 1}


async def test_full_call_relay_between_admitted_participants(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    offer = await recipient.next("offer")
    assert offer["sdp"] == SDP and offer["from"] != participant
    assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
    assert (await caseworker.next("answer"))["from"] == participant
    cand = {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    }
    assert await recipient.call("candidate", cand) == {"ok": True}
    got = await caseworker.next("candidate")
    assert got["candidate"] == cand["candidate"] and got["sdpMLineIndex"] == 0
    assert await caseworker.call("hangup", {}) == {"ok": True}
    assert "from" in await recipient.next("hangup")


async def test_not_admitted_participant_receives_no_call_signalling(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    await ctx["dashboard"].next("lobby.update")
    caseworker = _peer(peers)
    await caseworker.connect(
        server, ctx["cw"], {"role": "caseworker", "session": ctx["session"], "instance": instance()}
    )
    await caseworker.next("call.peers")
    # The waiting recipient tries to signal: refused, and it is not relayed.
    refused = await ctx["waiting"].call("offer", {"sdp": SDP})
    assert refused["ok"] is False and refused["error"]["code"] == "not_admitted"
    # The caseworker's signalling reaches nobody waiting.
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert await caseworker.call("candidate", {"candidate": ""}) == {"ok": True}
    # A round trip on the waiting socket proves everything sent before it has arrived.
    await ctx["waiting"].call("offer", {"sdp": SDP})
    assert ctx["waiting"].pending("offer") == 0 and ctx["waiting"].pending("candidate") == 0
    assert ctx["waiting"].pending("peer.joined") == 0 and ctx["waiting"].pending("call.peers") == 0
    # A waiting recipient cannot join the call by claiming the call page either.
    intruder = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await intruder.connect(
            server, ctx["rc"], {"role": "recipient", "session": ctx["session"], "instance": instance()}
        )


@pytest.mark.parametrize(
    "event,payload",
    [
        ("offer", {"sdp": "x" * (64 * 1024 + 1)}),
        ("offer", {"sdp": ""}),
        ("offer", {"sdp": 5}),
        ("offer", "just a string"),
        ("answer", None),
        ("candidate", {"candidate": "c" * (2 * 1024 + 1)}),
        ("candidate", {"candidate": 1}),
        ("candidate", {"candidate": "", "sdpMLineIndex": "zero"}),
        ("candidate", {"candidate": "", "sdpMLineIndex": True}),
        ("candidate", {"candidate": "", "sdpMid": "m" * 100}),
        ("hangup", [1, 2]),
        ("lobby.admit", {"session": "x", "participant": "y"}),
        ("shout", {"text": "hello"}),
    ],
)
async def test_bad_payloads_are_refused_and_others_carry_on(server, new_client, peers, event, payload) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, _ = await _admit_and_call(server, ctx, peers)
    reply = await recipient.call(event, payload)
    assert reply["ok"] is False
    assert reply["error"]["code"] in {"bad_payload", "unknown_event", "forbidden"}
    if event == "shout":
        assert reply["error"]["code"] == "unknown_event"
    # Nobody was disconnected, and signalling still flows both ways.
    assert recipient.sio.connected and caseworker.sio.connected
    assert await caseworker.call("offer", {"sdp": SDP}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP
    assert await recipient.call("answer", {"sdp": SDP}) == {"ok": True}
    await caseworker.next("answer")


async def test_decline_notifies_recipient_and_bars_reconnect(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    update = await ctx["dashboard"].next("lobby.update")
    participant = update["waiting"][0]["participant"]
    ack = await ctx["dashboard"].call("lobby.decline", {"session": ctx["session"], "participant": participant})
    assert ack == {"ok": True}
    assert await ctx["waiting"].next("lobby.declined") == {}
    assert (await ctx["dashboard"].next("lobby.update"))["waiting"] == []
    again = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError) as info:
        await again.connect(
            server, ctx["rc"], {"role": "recipient", "session": ctx["session"], "instance": instance(), "page": "wait"}
        )
    assert "declined" in str(info.value.args) or info.value
    # declining twice is a conflict, not a crash
    ack = await ctx["dashboard"].call("lobby.decline", {"session": ctx["session"], "participant": participant})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"


async def test_recipient_cannot_admit(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    update = await ctx["dashboard"].next("lobby.update")
    participant = update["waiting"][0]["participant"]
    reply = await ctx["waiting"].call("lobby.admit", {"session": ctx["session"], "participant": participant})
    assert reply["error"]["code"] == "forbidden"


async def test_other_caseworker_cannot_admit_or_join(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    update = await ctx["dashboard"].next("lobby.update")
    participant = update["waiting"][0]["participant"]
    other = await new_client()
    await login(other, "kollege")
    stranger = _peer(peers)
    await stranger.connect(server, other, {"role": "dashboard"})
    assert await stranger.next("lobby.snapshot") == {"sessions": {}}
    reply = await stranger.call("lobby.admit", {"session": ctx["session"], "participant": participant})
    assert reply["error"]["code"] == "forbidden"
    intruder = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await intruder.connect(server, other, {"role": "caseworker", "session": ctx["session"], "instance": instance()})


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {},
        {"role": "king"},
        {"role": "recipient", "session": "nope", "instance": "abcdefgh"},
        {"role": "recipient", "session": "3f1c1c8e-0000-4000-8000-000000000000", "instance": "short"},
    ],
)
async def test_connect_refuses_bad_auth(server, new_client, peers, auth) -> None:  # type: ignore[no-untyped-def]
    anonymous = await new_client()
    peer = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(server, anonymous, auth)


async def test_connect_without_cookie_is_refused(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    stranger = await new_client()
    peer = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(server, stranger, {"role": "recipient", "session": ctx["session"], "instance": instance()})


async def test_cross_origin_websocket_is_refused(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    evil = socketio.AsyncClient(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await evil.connect(
                str(server.make_url("/")),
                headers={
                    "Cookie": cookie_header(ctx["cw"]),
                    "Origin": "https://evil.example",
                },
                auth={"role": "dashboard"},
                transports=["websocket"],
                wait_timeout=5,
            )
    finally:
        await evil.disconnect()


async def test_rejoin_within_grace_keeps_participant_and_announces_new_instance(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)
    await recipient.close()
    left = await caseworker.next("peer.left")
    assert left["participant"] == participant and left["grace"] > 0
    again = _peer(peers)
    new_instance = instance()
    await again.connect(server, ctx["rc"], {"role": "recipient", "session": ctx["session"], "instance": new_instance})
    joined = await caseworker.next("peer.joined")
    assert joined == {"participant": participant, "role": "recipient", "instance": new_instance}
    assert (await again.next("call.peers"))["self"] == participant
    assert await again.call("offer", {"sdp": SDP}) == {"ok": True}
    await caseworker.next("offer")
    # No peer.gone after the grace period, because the participant came back.
    assert await caseworker.call("hangup", {}) == {"ok": True}
    assert caseworker.pending("peer.gone") == 0


async def test_peer_gone_after_grace(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, participant = await _admit_and_call(server, ctx, peers)
    await recipient.close()
    await caseworker.next("peer.left")
    gone = await caseworker.next("peer.gone", timeout=10)
    assert gone == {"participant": participant}


async def test_outcome_ends_session_for_everyone(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, _ = await _admit_and_call(server, ctx, peers)
    resp = await ctx["cw"].post(
        f"/sessions/{ctx['session']}/outcome",
        data={"outcome": "video", "csrf_token": ctx["csrf"]},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert await recipient.next("session.ended") == {"outcome": "video"}
    assert await caseworker.next("session.ended") == {"outcome": "video"}
    # The link no longer works.
    fresh = await new_client()
    resp = await fresh.get(ctx["join"], allow_redirects=False)
    assert resp.status == 410


async def test_two_waiting_recipients_get_positions(server, new_client, peers, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    await ctx["waiting"].next("lobby.position")
    # A second waiting person (the recipient's link makes no second participant; here a
    # companion written into the database waits behind the recipient).
    second_browser = await new_client()
    # The link makes one participant per session: the second one is minted in storage.
    url = str(server.make_url("/"))
    await extra_recipient(second_browser, url, settings.database_url, settings.database_schema, ctx["session"])
    second = _peer(peers)
    await second.connect(
        server, second_browser, {"role": "recipient", "session": ctx["session"], "instance": instance(), "page": "wait"}
    )
    assert await second.next("lobby.position") == {"position": 2, "waiting": 2}
    assert await ctx["waiting"].next("lobby.position") == {"position": 1, "waiting": 2}
    await ctx["waiting"].close()
    # After the grace period the first leaves the queue and the second moves up.
    assert await second.next("lobby.position", timeout=10) == {"position": 1, "waiting": 1}


async def test_a_page_alone_in_the_call_is_not_announced(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    """Nobody else in the call: ``call.peers`` only, no ``peer.joined`` (one event less per
    set-up; a second page of the same participant hears nothing about itself)."""
    ctx = await _setup(server, new_client, peers)
    first = _peer(peers)
    await first.connect(server, ctx["cw"], {"role": "caseworker", "session": ctx["session"], "instance": instance()})
    assert (await first.next("call.peers"))["peers"] == []
    second = _peer(peers)
    await second.connect(server, ctx["cw"], {"role": "caseworker", "session": ctx["session"], "instance": instance()})
    assert (await second.next("call.peers"))["peers"] == []
    # A round trip on the first socket: a peer.joined emitted before it would be queued by now.
    assert (await first.call("offer", {"sdp": SDP}))["ok"] is True
    assert first.pending("peer.joined") == 0
