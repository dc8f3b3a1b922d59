"""TURN credentials: the scheme itself, and a real coturn relaying two relay-only aiortc peers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aioice.stun import TransactionFailed

from rooms.turn import MAX_TTL, TurnIssuer, password_for
from tests.conftest import need
from web.settings import Settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
URLS = ("turn:127.0.0.1:3478?transport=udp",)


def test_username_is_expiry_and_pseudonym_password_is_hmac_sha1() -> None:
    issuer = TurnIssuer(URLS, ("s3cret",))
    creds = issuer.issue("participant-1", NOW)
    expiry = int((NOW + timedelta(hours=1)).timestamp())
    assert creds.username == f"{expiry}:participant-1"
    expected = base64.b64encode(hmac.new(b"s3cret", creds.username.encode(), hashlib.sha1).digest()).decode()
    assert creds.credential == expected
    assert creds.ice_server() == {"urls": list(URLS), "username": creds.username, "credential": expected}


def test_ttl_is_capped() -> None:
    issuer = TurnIssuer(URLS, ("s",), ttl=timedelta(days=30))
    assert issuer.issue("p", NOW).expires_at == NOW + MAX_TTL


def test_rotation_issues_with_first_and_accepts_both() -> None:
    old = TurnIssuer(URLS, ("old",)).issue("p", NOW)
    rotated = TurnIssuer(URLS, ("new", "old"))
    new = rotated.issue("p", NOW)
    assert new.credential == password_for("new", new.username)
    assert rotated.accepts(old.username, old.credential, NOW)
    assert rotated.accepts(new.username, new.credential, NOW)
    assert not TurnIssuer(URLS, ("new",)).accepts(old.username, old.credential, NOW)


def test_expired_forged_and_malformed_are_not_accepted() -> None:
    issuer = TurnIssuer(URLS, ("s",))
    creds = issuer.issue("p", NOW)
    assert not issuer.accepts(creds.username, creds.credential, NOW + timedelta(hours=2))
    forged_user = creds.username.replace(":p", ":q")
    assert not issuer.accepts(forged_user, creds.credential, NOW)
    assert not issuer.accepts("nonsense", creds.credential, NOW)


@pytest.mark.parametrize("pseudonym", ["", "a:b", "name with spaces", "x" * 65])
def test_unsafe_pseudonyms_are_refused(pseudonym: str) -> None:
    with pytest.raises(ValueError):
        TurnIssuer(URLS, ("s",)).issue(pseudonym, NOW)


def test_settings_read_turn_from_the_environment() -> None:
    settings = Settings.from_env(
        {"TURN_URLS": "turn:h:3478?transport=udp, turns:h:5349", "TURN_SECRETS": "new,old", "INSTANCE_PATH": "/tmp/x"}
    )
    assert settings.turn_urls == ("turn:h:3478?transport=udp", "turns:h:5349")
    assert settings.turn_secrets == ("new", "old")
    assert Settings.from_env({"INSTANCE_PATH": "/tmp/x"}).turn_urls == ()


def test_repository_config_denies_every_internal_range() -> None:
    conf = (Path(__file__).parents[1] / "deploy" / "turnserver.conf").read_text("utf-8")
    lines = {line.strip() for line in conf.splitlines() if line.strip() and not line.startswith("#")}
    for required in ("use-auth-secret", "no-multicast-peers", "no-cli", "fingerprint"):
        assert required in lines
    assert "allow-loopback-peers" not in lines
    denied = {line.split("=", 1)[1] for line in lines if line.startswith("denied-peer-ip=")}
    for needed in (
        "0.0.0.0-0.255.255.255",
        "10.0.0.0-10.255.255.255",
        "100.64.0.0-100.127.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "224.0.0.0-239.255.255.255",
        "::1",
        "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ):
        assert needed in denied, needed


# ---- a real coturn on loopback ---------------------------------------------------------------

TURNSERVER = Path("/usr/bin/turnserver")
SECRET = "test-only-secret"
OLD_SECRET = "test-only-previous-secret"


@dataclass
class Coturn:
    port: int
    server: _Running

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"


def _free_port() -> int:
    # A port free for both TCP and UDP: coturn listens on both.
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


class _Running:
    """A coturn process whose log (on its stdout) is collected by a reader thread."""

    def __init__(self, config: Path) -> None:
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [str(TURNSERVER), "-c", str(config), "--log-file", "stdout"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            # Logged once every relay server and listener is set up.
            if "Total General servers" in line:
                self._ready.set()
        self._ready.set()  # end of output: the process has exited

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, seconds: float = 10.0) -> None:
        if not self._ready.wait(seconds):
            pytest.fail(f"turnserver did not start within {seconds}s: {self.text[-2000:]}")
        if self.process.poll() is not None:
            pytest.fail(f"turnserver exited with {self.process.returncode}: {self.text[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._reader.join(timeout=5)


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    need(TURNSERVER.exists() and shutil.which(str(TURNSERVER)) is not None, "coturn at /usr/bin/turnserver")
    port = _free_port()
    # Test only: loopback peers are allowed here because both peers live on 127.0.0.1.
    # deploy/turnserver.conf denies them.
    config = tmp_path / "turnserver.conf"
    config.write_text(
        "\n".join(
            [
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"listening-port={port}",
                "min-port=40000",
                "max-port=60000",
                "use-auth-secret",
                f"static-auth-secret={SECRET}",
                f"static-auth-secret={OLD_SECRET}",
                "realm=test.invalid",
                "no-tls",
                "no-dtls",
                "allow-loopback-peers",
                "no-multicast-peers",
                "no-cli",
                "fingerprint",
                "simple-log",
                f"pidfile={tmp_path / 'turn.pid'}",
                f"userdb={tmp_path / 'turndb'}",
                "",
            ]
        )
    )
    running = _Running(config)
    try:
        running.wait_ready()
        yield Coturn(port, running)
    finally:
        running.stop()


async def _allocate(turn: Coturn, username: str, password: str) -> None:
    from aioice import turn as aioice_turn  # aiortc's ICE library

    transport, _protocol = await asyncio.wait_for(
        aioice_turn.create_turn_endpoint(
            asyncio.DatagramProtocol, server_addr=("127.0.0.1", turn.port), username=username, password=password
        ),
        timeout=10,
    )
    transport.close()


@pytest.mark.turn
async def test_refused_credentials_get_no_allocation(coturn: Coturn) -> None:
    now = datetime.now(UTC)
    good = TurnIssuer((coturn.url,), (SECRET,)).issue("p1", now)
    await _allocate(coturn, good.username, good.credential)  # the control: a good one works
    expired = TurnIssuer((coturn.url,), (SECRET,)).issue("p1", now - timedelta(hours=2))
    wrong = TurnIssuer((coturn.url,), ("not-the-secret",)).issue("p1", now)
    forged = good.username.replace(":p1", ":p2")
    for username, password in (
        (expired.username, expired.credential),
        (wrong.username, wrong.credential),
        (forged, good.credential),
        (f"{int((now + timedelta(days=365)).timestamp())}:p1", good.credential),
    ):
        with pytest.raises(TransactionFailed) as refused:
            await _allocate(coturn, username, password)
        # 401 Unauthorized: coturn answered and refused (not a timeout).
        assert refused.value.response.attributes["ERROR-CODE"][0] == 401


@pytest.mark.turn
async def test_previous_secret_is_still_accepted_during_rotation(coturn: Coturn) -> None:
    old = TurnIssuer((coturn.url,), (OLD_SECRET,)).issue("p1", datetime.now(UTC))
    await _allocate(coturn, old.username, old.credential)


@pytest.mark.turn
async def test_relay_only_peers_connect_with_issued_credentials(coturn: Coturn) -> None:
    from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection

    issuer = TurnIssuer((coturn.url,), (SECRET,))

    def peer(name: str) -> RTCPeerConnection:
        creds = issuer.issue(name, datetime.now(UTC))
        server = RTCIceServer(urls=list(creds.urls), username=creds.username, credential=creds.credential)
        return RTCPeerConnection(RTCConfiguration(iceServers=[server], iceTransportPolicy=RTCIceTransportPolicy.RELAY))

    caller, callee = peer("caller"), peer("callee")
    try:
        echoed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        channel = caller.createDataChannel("ping")

        @callee.on("datachannel")
        def _on_channel(remote: object) -> None:
            @remote.on("message")  # type: ignore[attr-defined]
            def _echo(message: str) -> None:
                remote.send(f"echo:{message}")  # type: ignore[attr-defined]

        @channel.on("open")
        def _on_open() -> None:
            channel.send("hello")

        @channel.on("message")
        def _on_message(message: str) -> None:
            if not echoed.done():
                echoed.set_result(message)

        await caller.setLocalDescription(await caller.createOffer())
        assert "typ relay" in caller.localDescription.sdp
        assert "typ host" not in caller.localDescription.sdp
        await callee.setRemoteDescription(caller.localDescription)
        await callee.setLocalDescription(await callee.createAnswer())
        assert "typ host" not in callee.localDescription.sdp
        await caller.setRemoteDescription(callee.localDescription)
        assert await asyncio.wait_for(echoed, timeout=20) == "echo:hello"
        pair = caller.sctp.transport.transport._connection._nominated  # type: ignore[union-attr]
        assert all(p.local_candidate.type == "relay" for p in pair.values())
    finally:
        await caller.close()
        await callee.close()


@pytest.mark.turn
async def test_relay_only_peer_with_expired_credentials_fails(coturn: Coturn) -> None:
    from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection

    expired = TurnIssuer((coturn.url,), (SECRET,)).issue("late", datetime.now(UTC) - timedelta(hours=2))
    server = RTCIceServer(urls=[coturn.url], username=expired.username, credential=expired.credential)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[server], iceTransportPolicy=RTCIceTransportPolicy.RELAY))
    try:
        pc.createDataChannel("ping")
        await asyncio.wait_for(pc.setLocalDescription(await pc.createOffer()), timeout=20)
        # The allocation was refused: no relay candidate, and relay-only allows nothing else.
        assert "typ relay" not in pc.localDescription.sdp
        assert "typ host" not in pc.localDescription.sdp
    finally:
        await pc.close()


async def test_call_page_carries_fresh_turn_credentials(settings: Settings) -> None:
    import html
    import json
    import re
    from dataclasses import replace

    from aiohttp.test_utils import TestClient, TestServer

    from tests.conftest import create_session, login
    from web.app import create_app

    configured = replace(settings, turn_urls=URLS, turn_secrets=("s3cret",))
    async with TestClient(TestServer(create_app(configured))) as client:
        csrf = await login(client)
        session_id, _link = await create_session(client, csrf)
        page = await (await client.get(f"/sessions/{session_id}/call")).text()
    match = re.search(r'data-ice-servers="([^"]*)"', page)
    assert match
    (server,) = json.loads(html.unescape(match.group(1)))
    assert server["urls"] == list(URLS)
    assert TurnIssuer(URLS, ("s3cret",)).accepts(server["username"], server["credential"], datetime.now(UTC))
    assert "fachkraft" not in server["username"]


@pytest.mark.turn
def test_repository_config_is_accepted_by_coturn(tmp_path: Path) -> None:
    need(TURNSERVER.exists(), "coturn at /usr/bin/turnserver")
    port, tls_port = _free_port(), _free_port()
    conf = (Path(__file__).parents[1] / "deploy" / "turnserver.conf").read_text("utf-8")
    conf = conf.replace("listening-port=3478", f"listening-port={port}")
    conf = conf.replace("tls-listening-port=5349", f"tls-listening-port={tls_port}")
    conf = conf.replace("\nsyslog\n", "\n")  # the log goes to stdout here
    conf += f"listening-ip=127.0.0.1\npidfile={tmp_path / 'pid'}\nuserdb={tmp_path / 'db'}\n"
    (tmp_path / "turnserver.conf").write_text(conf)
    running = _Running(tmp_path / "turnserver.conf")
    try:
        running.wait_ready()
    finally:
        running.stop()
    text = running.text
    assert "Listener address to use" in text or "listener" in text.lower(), text[-2000:]
    assert "Bad configuration" not in text
    assert "unknown" not in text.lower()
