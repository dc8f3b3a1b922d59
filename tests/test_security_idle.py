"""Connections that hold a descriptor and never do anything: closed by the real server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.rawsocket import RawSocket
from web.app import create_app
from web.serving import server_options
from web.settings import Settings

# Production waits 10 s for the socket.io CONNECT and 15 s for request headers; the same
# code with short deadlines here (tests/conftest.py's settings leave both at the defaults).
CONNECT_DEADLINE = 1.5
HEADER_TIMEOUT = 2.0


@pytest.fixture
def app(settings: Settings) -> web.Application:
    short = replace(settings, socket_connect_timeout_seconds=CONNECT_DEADLINE, header_timeout_seconds=HEADER_TIMEOUT)
    return create_app(short)


@pytest.fixture
async def server(app: web.Application, settings: Settings) -> AsyncIterator[TestServer]:
    """The app served with the options ``videoberatung serve`` uses."""
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server(**server_options(HEADER_TIMEOUT))
    yield srv
    await srv.close()


async def test_engineio_connection_without_socketio_connect_is_closed(server, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    raw = RawSocket()
    loop = asyncio.get_running_loop()
    started = loop.time()  # before the open: the server's deadline runs from its side of the open
    try:
        opened = json.loads((await raw.open(server))[1:])
        assert opened["pingInterval"] >= 1000  # it answers pings (RawSocket does), never CONNECTs
        await asyncio.wait_for(raw.closed.wait(), 20)
        assert loop.time() - started >= CONNECT_DEADLINE - 0.1  # closed by the deadline, not before
        assert "never connected to socket.io" in caplog.text
    finally:
        await raw.close()


async def test_connected_socket_is_not_closed_by_the_deadline(server, app, client) -> None:  # type: ignore[no-untyped-def]
    # A refused CONNECT (no cookie) still counts as "never connected"; a dashboard that
    # did connect is kept: wait past the deadline by waiting for the idle one to close.
    from tests.conftest import cookie_header, login

    await login(client)
    connected, idle = RawSocket(), RawSocket()
    try:
        await connected.open(server, cookie_header(client))
        await connected.connect({"role": "dashboard"})
        await idle.open(server)
        await asyncio.wait_for(idle.closed.wait(), 20)
        assert not connected.closed.is_set()
        await connected.send('421["lobby.admit",{}]')
        assert (await connected.ack(1))["error"]["code"] == "bad_payload"
    finally:
        await connected.close()
        await idle.close()


async def test_a_connected_socket_keeps_no_deadline_and_only_the_request(server, app, client) -> None:  # type: ignore[no-untyped-def]
    # What an idle socket holds (docs/performance.md): the connect deadline ends with the
    # CONNECT, and the WSGI-style copy of its headers is dropped; a refused one keeps both.
    from tests.conftest import cookie_header, login
    from web.keys import SIGNALING

    signaling = app[SIGNALING]
    await login(client)
    connected, refused = RawSocket(), RawSocket()
    try:
        await connected.open(server, cookie_header(client))
        await connected.connect({"role": "dashboard"})
        await refused.open(server)
        await refused.send("40" + json.dumps({"role": "dashboard"}))  # no cookie: refused
        await refused.wait(lambda: any(e[0] == "\0connect_error" for e in refused.events))
        (peer,) = signaling.peers.by_sid.values()
        assert list(signaling.sio.get_environ(peer.sid)) == ["aiohttp.request"]
        assert signaling.transports.waiting_for_connect == 1  # the refused one only
        await connected.send('421["lobby.admit",{}]')  # and it still works
        assert (await connected.ack(1))["error"]["code"] == "bad_payload"
    finally:
        await connected.close()
        await refused.close()


async def test_dripping_request_headers_are_cut_off(server) -> None:  # type: ignore[no-untyped-def]
    reader, writer = await asyncio.open_connection(server.host, server.port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    writer.write(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed_after = None
    try:
        for i in range(120):  # a header line every 0.25 s, never the blank line that ends them
            try:
                data = await asyncio.wait_for(reader.read(1024), 0.25)
            except TimeoutError:
                writer.write(f"X-Drip-{i}: a\r\n".encode())
                continue
            if data == b"":
                closed_after = loop.time() - started
                break
    finally:
        writer.close()
    assert closed_after is not None, "the server held the connection for 30 s"
    assert closed_after >= HEADER_TIMEOUT - 0.1  # cut off by the header timeout while still dripping


async def test_socket_that_leaves_the_namespace_but_keeps_the_transport_is_closed(server, client) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import cookie_header, login

    await login(client)
    raw = RawSocket()
    try:
        await raw.open(server, cookie_header(client))
        await raw.connect({"role": "dashboard"})
        await raw.send("41")  # socket.io DISCONNECT for the namespace; the websocket stays
        await asyncio.wait_for(raw.closed.wait(), 25)
    finally:
        await raw.close()


async def test_websockets_are_never_compressed_and_end_with_the_server(server, app) -> None:  # type: ignore[no-untyped-def]
    # A browser offers permessage-deflate; the server declines it (CPU per relayed message,
    # CRIME-style leaks), and shutdown ends the websocket at once (the client reconnects).
    import aiohttp

    from web.keys import SIGNALING

    url = server.make_url("/socket.io/").with_query({"EIO": "4", "transport": "websocket"})
    async with aiohttp.ClientSession() as session, session.ws_connect(url, compress=15) as ws:
        assert (await ws.receive_str()).startswith("0{")  # engine.io OPEN: the transport is up
        assert ws.compress == 0
        assert app[SIGNALING].transports.waiting_for_connect == 1
        await app[SIGNALING].close()
        message = await asyncio.wait_for(ws.receive(), 10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
