"""A third person: own link and consent, the recipient's agreement, addressed relay, at most three."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from tests.conftest import join_and_consent
from tests.recipients import extra_recipient
from tests.sio import Peer, instance
from tests.test_signaling import SDP, _admit_and_call, _setup

_LINK = 'id="third-link" class="link" readonly value="'


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


async def _add_third(ctx: dict[str, Any], role: str = "interpreter") -> int:
    resp = await ctx["cw"].post(
        f"/sessions/{ctx['session']}/third", data={"role": role, "csrf_token": ctx["csrf"]}, allow_redirects=False
    )
    return resp.status


async def _third_link(ctx: dict[str, Any]) -> str:
    html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}")).text()
    assert _LINK in html, "no third-person link on the session page"
    link = html.split(_LINK, 1)[1].split('"', 1)[0]
    return link[link.index("/join/") :]


async def _answer(ctx: dict[str, Any], agree: bool) -> None:
    resp = await ctx["rc"].post(f"/api/third/{ctx['session']}/answer", json={"agree": agree})
    assert resp.status == 200, await resp.text()


async def test_links_are_personal_and_need_the_recipients_agreement(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    assert await _add_third(ctx) == 303
    assert await _add_third(ctx, "companion") == 409  # one third person at a time
    # The recipient's pages hear the question.
    assert await ctx["waiting"].next("third.asked") == {"role": "interpreter"}

    html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}")).text()
    assert 'data-state="asked"' in html and _LINK not in html  # no link before the agreement
    await _answer(ctx, True)
    link = await _third_link(ctx)

    # The recipient's browser cannot use the third person's link.
    assert (await ctx["rc"].get(link, allow_redirects=False)).status == 403
    interpreter = await new_client()
    third_session = await join_and_consent(interpreter, link)
    assert third_session == ctx["session"]
    # Nor the third person the recipient's link; a second browser not the claimed link.
    refused = await interpreter.get(ctx["join"], allow_redirects=False)
    assert refused.status == 403
    assert "für eine andere Person" in await refused.text()
    stranger = await new_client()
    assert (await stranger.get(link, allow_redirects=False)).status == 403
    # The interpreter's consent is a record of its own, with its role.
    consent_html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}/attempts")).text()
    assert consent_html.count("Einwilligung erteilt") >= 2


async def test_refusal_keeps_the_call_one_to_one(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    assert await _add_third(ctx) == 303
    await _answer(ctx, False)
    html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}")).text()
    assert _LINK not in html and 'id="add-third"' in html  # asked again only if the caseworker wants


async def test_three_in_a_mesh_addressed_relay_removal_and_no_fourth(server, new_client, peers, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    caseworker, recipient, recipient_id = await _admit_and_call(server, ctx, peers)
    assert await _add_third(ctx) == 303
    await _answer(ctx, True)
    link = await _third_link(ctx)
    browser = await new_client()
    await join_and_consent(browser, link)
    waiting = _peer(peers)
    await waiting.connect(
        server, browser, {"role": "recipient", "session": ctx["session"], "instance": instance(), "page": "wait"}
    )
    update = await ctx["dashboard"].next("lobby.update")
    while not update["waiting"]:
        update = await ctx["dashboard"].next("lobby.update")
    third_id = update["waiting"][0]["participant"]
    ack = await ctx["dashboard"].call("lobby.admit", {"session": ctx["session"], "participant": third_id})
    assert ack == {"ok": True, "role": "interpreter"}
    third = _peer(peers)
    await third.connect(server, browser, {"role": "recipient", "session": ctx["session"], "instance": instance()})
    listed = await third.next("call.peers")
    assert sorted(p["role"] for p in listed["peers"]) == ["caseworker", "recipient"]
    assert (await recipient.next("peer.joined"))["role"] == "interpreter"

    # Addressed: only the interpreter gets the caseworker's offer to it.
    assert await caseworker.call("offer", {"sdp": SDP, "to": third_id}) == {"ok": True}
    offer = await third.next("offer")
    assert offer["sdp"] == SDP
    assert await recipient.call("answer", {"sdp": SDP, "to": third_id}) == {"ok": True}
    assert (await third.next("answer"))["from"] == recipient_id
    assert recipient.pending("offer") == 0
    bad = await caseworker.call("offer", {"sdp": SDP, "to": "not-an-id"})
    assert bad["error"]["code"] == "bad_payload"

    # The recipient's link on another device makes no fourth person: it offers to move.
    other_device = await new_client()
    assert (await other_device.get(ctx["join"], allow_redirects=False)).status == 409
    # A fourth person all the same (one written straight into the database) is refused
    # at admission, clearly: the cap holds in the server, not only in the links.
    fourth_browser = await new_client()
    url = str(server.make_url("/"))
    await extra_recipient(
        fourth_browser, url, settings.database_url, settings.database_schema, ctx["session"], role="companion"
    )
    fourth = _peer(peers)
    await fourth.connect(
        server, fourth_browser, {"role": "recipient", "session": ctx["session"], "instance": instance(), "page": "wait"}
    )
    update = await ctx["dashboard"].next("lobby.update")
    while not update["waiting"]:
        update = await ctx["dashboard"].next("lobby.update")
    refused = await ctx["dashboard"].call(
        "lobby.admit", {"session": ctx["session"], "participant": update["waiting"][0]["participant"]}
    )
    assert refused["ok"] is False and refused["error"]["code"] == "call_full"
    assert await fourth.next("lobby.full") == {}
    # The caseworker declines the fourth person; the interpreter is still the third.
    declined = await ctx["dashboard"].call(
        "lobby.decline", {"session": ctx["session"], "participant": update["waiting"][0]["participant"]}
    )
    assert declined["ok"] is True

    # The caseworker removes the interpreter; the others hear it and go on.
    removed = await ctx["cw"].post(f"/api/third/{ctx['session']}/remove", json={})
    assert removed.status == 200
    assert await recipient.next("peer.removed") == {"participant": third_id}
    assert await caseworker.next("peer.removed") == {"participant": third_id}
    assert await caseworker.call("offer", {"sdp": SDP, "to": recipient_id}) == {"ok": True}
    assert (await recipient.next("offer"))["sdp"] == SDP
    # Removed means gone: the link and a reconnect are refused.
    assert (await browser.get(link, allow_redirects=False)).status == 410
    again = _peer(peers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(server, browser, {"role": "recipient", "session": ctx["session"], "instance": instance()})


async def test_each_third_person_needs_its_own_agreement(server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    ctx = await _setup(server, new_client, peers)
    assert await _add_third(ctx) == 303
    await _answer(ctx, True)
    await _third_link(ctx)
    removed = await ctx["cw"].post(f"/api/third/{ctx['session']}/remove", json={})
    assert removed.status == 200
    assert await _add_third(ctx, "companion") == 303
    html = await (await ctx["cw"].get(f"/sessions/{ctx['session']}")).text()
    assert 'data-state="asked"' in html and _LINK not in html
    # Only the recipient answers, and only with a consent of their own.
    stranger = await new_client()
    refused = await stranger.post(f"/api/third/{ctx['session']}/answer", json={"agree": True})
    assert refused.status == 403
    await _answer(ctx, True)
    await _third_link(ctx)
