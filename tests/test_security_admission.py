"""Admit and decline sent at the same moment: exactly one wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storage import sessions
from tests.conftest import create_session, join_and_consent, login
from tests.sio import Peer, instance
from web.keys import DB


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


async def _waiting_recipient(server: Any, new_client: Any, peers: list[Peer], cw: Any, csrf: str) -> dict[str, Any]:
    """A new session of ``cw`` with one consented recipient in its waiting room; two dashboards."""
    session_id, join_path = await create_session(cw, csrf)
    tabs = []
    for _ in range(2):  # two tabs of the same caseworker: the decisions arrive on two sockets
        tab = _peer(peers)
        await tab.connect(server, cw, {"role": "dashboard"})
        await tab.next("lobby.snapshot")
        tabs.append(tab)
    rc = await new_client()
    await join_and_consent(rc, join_path)
    waiting = _peer(peers)
    await waiting.connect(
        server, rc, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    )
    update = await tabs[0].next("lobby.update")
    while not update["waiting"] or update["session"] != session_id:
        update = await tabs[0].next("lobby.update")
    return {"session": session_id, "tabs": tabs, "waiting": waiting, "participant": update["waiting"][0]["participant"]}


async def test_admit_and_decline_at_once_one_wins(database, server, app, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    csrf = await login(cw)
    for _round in range(3):
        ctx = await _waiting_recipient(server, new_client, peers, cw, csrf)
        participant = ctx["participant"]
        target = {"session": ctx["session"], "participant": participant}
        acks = await asyncio.gather(
            ctx["tabs"][0].call("lobby.admit", target),
            ctx["tabs"][1].call("lobby.decline", target),
        )
        oks = [a for a in acks if a.get("ok")]
        conflicts = [a for a in acks if not a.get("ok")]
        assert len(oks) == 1 and len(conflicts) == 1, acks
        assert conflicts[0]["error"]["code"] == "conflict"
        admitted = acks[0].get("ok") is True
        # The recipient gets the winner's event, and only it: a round trip on its own
        # socket after both acks flushes anything else the server had queued for it.
        winner = "lobby.admitted" if admitted else "lobby.declined"
        loser = "lobby.declined" if admitted else "lobby.admitted"
        await ctx["waiting"].next(winner)
        await ctx["waiting"].call("hangup", {})
        assert ctx["waiting"].pending(loser) == 0
        async with app[DB]() as db:
            stored = await sessions.get_participant(db, participant)
        assert stored is not None and stored.admission.value == ("admitted" if admitted else "declined")


async def test_second_decision_later_is_a_conflict(database, server, new_client, peers) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    ctx = await _waiting_recipient(server, new_client, peers, cw, await login(cw))
    target = {"session": ctx["session"], "participant": ctx["participant"]}
    assert await ctx["tabs"][0].call("lobby.admit", target) == {"ok": True, "role": "recipient"}
    ack = await ctx["tabs"][1].call("lobby.decline", target)
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
