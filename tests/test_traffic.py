"""The server's own count of what its websockets receive (``SignalingServer.traffic``)."""

from __future__ import annotations

from tests.test_signaling import SDP, _admit_and_call, _setup, peers  # noqa: F401
from web.keys import SIGNALING


async def test_traffic_counts_every_inbound_message_and_the_largest(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    traffic = server.app[SIGNALING].traffic
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, _participant = await _admit_and_call(server, ctx, peers)
    messages, total = traffic.messages, traffic.bytes
    assert 0 < messages and traffic.largest < 1024  # connects, admission: small messages

    big = SDP + "a=x-padding:" + "p" * 40_000 + "\r\n"
    assert await caseworker.call("offer", {"sdp": big}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == big
    # (an engine.io pong of one byte may come along)
    assert traffic.messages >= messages + 1
    assert 40_000 < traffic.bytes - total < 41_000
    assert 40_000 < traffic.largest < 41_000

    # A refused message still crossed the websocket, and is counted as well.
    too_big = SDP + "a=x-padding:" + "p" * 70_000 + "\r\n"
    reply = await caseworker.call("offer", {"sdp": too_big})
    assert reply["ok"] is False and reply["error"]["code"] == "bad_payload"
    assert traffic.messages >= messages + 2 and traffic.largest > 70_000
