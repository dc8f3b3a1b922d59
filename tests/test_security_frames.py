"""Refused names, malformed frames and budgets per person, over raw engine.io frames against a real port."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from signaling.presence import SOCKETS_PER_PARTICIPANT
from signaling.rate_limit import LIMITS
from tests.conftest import REDIS_URL, _port_open, need
from tests.rawsocket import RawSocket
from tests.sio import instance
from tests.test_security_events import CANDIDATE, _call
from web.app import create_app
from web.settings import Settings


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for thing in made:
        await thing.close()


DEEP = "[" * 100_000 + "]" * 100_000


def _no_tracebacks(caplog: Any) -> None:
    gc.collect()  # a task whose exception nobody retrieved is reported when it is collected
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]
    assert "Task exception was never retrieved" not in caplog.text


async def _probe(raw: RawSocket, ack_id: int) -> Any:
    """A harmless event with an ack: its reply, or None once the connection is closed."""
    await raw.send(f"42{ack_id}" + json.dumps(["record.start", {}]))
    await raw.wait(lambda: ack_id in raw.acks or raw.closed.is_set())
    return None if raw.closed.is_set() and ack_id not in raw.acks else raw.acks[ack_id][0]


async def test_unknown_names_cost_strikes_and_the_socket_is_dropped(server, new_client, closing, caplog) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    raw, caseworker = ctx["raw"], ctx["caseworker"]
    caplog.set_level(logging.WARNING)
    sent = 0
    while not raw.closed.is_set() and sent < 2000:
        await raw.send(f"42{sent}" + json.dumps(["no.such.event", {}]))
        sent += 1
        if sent % 50 == 0:
            await raw.wait(lambda last=sent - 1: last in raw.acks or raw.closed.is_set())
    await asyncio.wait_for(raw.closed.wait(), 10)
    refused = [a[0]["error"]["code"] for a in raw.acks.values() if a]
    assert set(refused) == {"unknown_event"}
    assert len(refused) <= 110  # the strikes and their refill, not the flood
    assert (await caseworker.next("peer.left"))["participant"] == ctx["participant"]
    # A handful of log lines for the whole flood, not one per frame.
    refusals = [r for r in caplog.records if r.name == "signaling.events"]
    assert 1 <= len(refusals) <= 5, [r.getMessage() for r in refusals]
    _no_tracebacks(caplog)


MALFORMED: list[tuple[str, str | bytes]] = [
    ("two arguments", '421["offer",{"sdp":"v=0"},{"sdp":"v=0"}]'),
    ("three arguments to a candidate", "422" + json.dumps(["candidate", CANDIDATE, 1, 2])),
    ("deeply nested JSON", "423" + DEEP),
    ("deeply nested argument", '424["offer",' + DEEP + "]"),
    ("unknown namespace", '42/nope,5["offer",{"sdp":"v=0"}]'),
    ("connect to an unknown namespace", "40/nope,{}"),
    ("namespace without a comma", "42/nope"),
    ("truncated JSON", '426["offer",{"sdp":'),
    ("not JSON", "427hello"),
    ("an unknown packet type", "49"),
    ("a client-sent CONNECT_ERROR", '44{"message":"x"}'),
    ("a client-sent ACK for nothing", "43999[]"),
    ("a binary event announced without attachments", '51-8["offer",{"_placeholder":true,"num":0}]'),
    ("a placeholder out of range", '51-9["offer",{"_placeholder":true,"num":7}]'),
    ("binary garbage", b"\x00\xff\xfe garbage"),
    ("an ack id beyond any integer", "42" + "9" * 400 + '["offer",{}]'),
    ("an event name that is an object", '4210[{"a":1},{}]'),
    ("a null argument", '4211["offer",null]'),
]


async def test_every_malformed_frame_is_refused_or_closes_the_socket_without_a_traceback(  # type: ignore[no-untyped-def]
    server, new_client, closing, caplog
) -> None:
    ctx = await _call(server, new_client, closing)
    caplog.set_level(logging.WARNING)
    raw: RawSocket = ctx["raw"]
    outcomes: dict[str, str] = {}
    for name, frame in MALFORMED:
        if raw.closed.is_set():  # the last frame closed it: the page reconnects
            raw = RawSocket()
            closing.append(raw)
            await raw.open(server, ctx["cookie"])
            await raw.connect({"role": "recipient", "session": ctx["session"], "instance": instance()})
        before = set(raw.acks)
        if isinstance(frame, bytes):
            assert raw.ws is not None
            await raw.ws.send_bytes(frame)
        else:
            await raw.send(frame)
        probe = await _probe(raw, 900)
        raw.acks.pop(900, None)
        replies = [raw.acks[k][0] for k in set(raw.acks) - before if raw.acks[k]]
        if probe is None:
            outcomes[name] = "closed"
        else:
            assert probe["error"]["code"] == "forbidden", (name, probe)
            codes = {r["error"]["code"] for r in replies}
            assert codes <= {"bad_payload", "unknown_event"}, (name, replies)
            outcomes[name] = ",".join(sorted(codes)) or "ignored"
    assert outcomes["two arguments"] == "bad_payload"
    assert outcomes["three arguments to a candidate"] == "bad_payload"
    assert outcomes["a null argument"] == "bad_payload"
    assert outcomes["deeply nested JSON"] == "closed"
    assert outcomes["binary garbage"] == "closed"
    _no_tracebacks(caplog)
    # The node is fine: the caseworker's own round trip still works.
    assert (await ctx["caseworker"].call("record.start", {}))["error"]["code"] == "forbidden"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def app(settings: Settings, request: pytest.FixtureRequest) -> web.Application:
    """One node, its presence in memory or (as with several nodes) shared through Redis."""
    if request.param == "memory":
        return create_app(settings)
    request.getfixturevalue("redis")  # the shared Redis, and its clean-up of the prefix
    need(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return create_app(replace(settings, redis_url=REDIS_URL, redis_prefix=request.getfixturevalue("redis")[1]))


async def _more_sockets(server: Any, ctx: dict[str, Any], closing: list[Any], count: int) -> list[RawSocket]:
    made = []
    for _ in range(count):
        raw = RawSocket()
        closing.append(raw)
        await raw.open(server, ctx["cookie"])
        made.append(raw)
    return made


async def test_the_event_budget_is_per_participant_across_their_sockets(server, new_client, closing) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    sockets = [ctx["raw"], *await _more_sockets(server, ctx, closing, 3)]
    for raw in sockets[1:]:
        await raw.connect({"role": "recipient", "session": ctx["session"], "instance": instance()})
    frame = json.dumps(["candidate", CANDIDATE])
    each = 190  # under one socket's burst (200): per socket, every one would be accepted
    started = time.monotonic()
    for i in range(each):
        for raw in sockets:
            await raw.send(f"42{i}{frame}")
    for raw in sockets:
        await raw.wait(lambda r=raw: each - 1 in r.acks or r.closed.is_set())
    elapsed = time.monotonic() - started
    replies = [a[0] for raw in sockets for a in raw.acks.values() if a]
    ok = sum(1 for r in replies if r.get("ok"))
    limited = sum(1 for r in replies if r.get("error", {}).get("code") == "rate_limited")
    assert limited > 0
    # The person's one burst and its refill meanwhile, not four sockets' worth.
    candidate = LIMITS["candidate"]
    assert ok <= candidate.burst + candidate.per_second * elapsed + 10 < len(sockets) * each, (ok, elapsed)


async def test_sockets_per_participant_are_capped(server, new_client, closing) -> None:  # type: ignore[no-untyped-def]
    ctx = await _call(server, new_client, closing)
    more = await _more_sockets(server, ctx, closing, SOCKETS_PER_PARTICIPANT)
    auth = {"role": "recipient", "session": ctx["session"]}
    for raw in more[:-1]:  # the call page of _call holds one already
        await raw.connect({**auth, "instance": instance()})
    last = more[-1]
    await last.send("40" + json.dumps({**auth, "instance": instance()}))
    await last.wait(lambda: bool(last.received("\0connect_error")))
    assert last.received("\0connect_error")[0]["data"]["code"] == "too_many_sockets"
    # A page that leaves frees its place: on one connection, the leave (socket.io
    # DISCONNECT) is handled before the connect that follows it.
    first = more[0]
    first.events.clear()
    await first.send("41")
    await first.connect({**auth, "instance": instance()})
