"""The pre-call check: verdicts, the bounded echo peer (real aiortc on both ends), the endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from sqlalchemy import inspect, select

from rooms.check import DeviceClass, Measurement, Verdict, device_class, verdict_for
from rooms.errors import CheckBusy, CheckOfferInvalid
from signaling.echo import EchoChecks
from storage.models import CheckVerdictRow
from tests.conftest import create_session, login
from web.app import create_app
from web.keys import DB, ECHO
from web.settings import Settings

GOOD = Measurement(connected=True, rtt_ms=40, loss_percent=0, jitter_ms=5, bitrate_kbps=2000)
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


# ---- the verdict ------------------------------------------------------------------------


def test_good_path_allows_video() -> None:
    assert verdict_for(GOOD) is Verdict.VIDEO


@pytest.mark.parametrize(
    "degraded",
    [
        replace(GOOD, loss_percent=8),
        replace(GOOD, rtt_ms=600),
        replace(GOOD, jitter_ms=80),
        replace(GOOD, bitrate_kbps=150),
    ],
)
def test_degraded_path_recommends_audio_only(degraded: Measurement) -> None:
    assert verdict_for(degraded) is Verdict.AUDIO_ONLY


@pytest.mark.parametrize(
    "bad",
    [
        replace(GOOD, connected=False),
        replace(GOOD, loss_percent=30),
        replace(GOOD, rtt_ms=2500),
        replace(GOOD, bitrate_kbps=20),
    ],
)
def test_bad_path_rules_video_out(bad: Measurement) -> None:
    assert verdict_for(bad) is Verdict.NOT_POSSIBLE


@pytest.mark.parametrize("field", ["rtt_ms", "loss_percent", "jitter_ms", "bitrate_kbps"])
def test_nonsense_figures_are_refused(field: str) -> None:
    for value in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            replace(GOOD, **{field: value})
    with pytest.raises(ValueError):
        replace(GOOD, loss_percent=101)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (IPHONE, DeviceClass.SMARTPHONE),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36", "smartphone"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/120 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15", "tablet"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36", "computer"),
        ("", "computer"),
    ],
)
def test_device_class_from_user_agent(agent: str, expected: str) -> None:
    assert device_class(agent) == expected


# ---- a real aiortc client against the echo peer -----------------------------------------


class Browserish:
    """What check.js does, in aiortc: audio out, unordered pings, offer with ICE gathered."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(AudioStreamTrack())
        self.ping = self.pc.createDataChannel("ping", ordered=False, maxRetransmits=0)
        self.echoed_audio: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.answers: asyncio.Queue[str] = asyncio.Queue()

        @self.pc.on("track")
        def _on_track(track: Any) -> None:
            if not self.echoed_audio.done():
                self.echoed_audio.set_result(track.kind)

        @self.ping.on("open")
        def _on_open() -> None:
            if not self.opened.done():
                self.opened.set_result(None)

        @self.ping.on("message")
        def _on_message(message: str) -> None:
            self.answers.put_nowait(message)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        await asyncio.wait_for(self.opened, timeout=15)

    async def pings(self, count: int) -> int:
        """How many of ``count`` pings came back (all sent, then the answers drained)."""
        for n in range(count):
            self.ping.send(f"ping-{n}")
        back = 0
        try:
            while back < count:
                await asyncio.wait_for(self.answers.get(), timeout=2)
                back += 1
        except TimeoutError:
            pass  # the rest were dropped
        return back

    async def close(self) -> None:
        await self.pc.close()


@pytest.fixture
async def browserish() -> AsyncIterator[Browserish]:
    client = Browserish()
    yield client
    await client.close()


def _no_ice(_check_id: str) -> list[Any]:
    return []


async def test_echo_peer_echoes_audio_and_pings_then_frees_its_slot(browserish: Browserish) -> None:
    echo = EchoChecks(2, 20, _no_ice)
    try:
        check_id, answer = await echo.start(await browserish.offer())
        assert "stun:" not in answer and "typ srflx" not in answer  # no public STUN server
        await browserish.answer(answer)
        assert await asyncio.wait_for(browserish.echoed_audio, timeout=10) == "audio"
        assert await browserish.pings(10) == 10
        assert echo.running == 1
        echo.finish(check_id)
        await asyncio.wait_for(echo.wait_closed(check_id), timeout=5)
        assert echo.running == 0
    finally:
        await echo.close()


async def test_loss_on_the_echo_side_degrades_the_verdict(browserish: Browserish) -> None:
    echo = EchoChecks(1, 20, _no_ice, drop_ratio=0.25)
    try:
        _check_id, answer = await echo.start(await browserish.offer())
        await browserish.answer(answer)
        back = await browserish.pings(20)
        loss = 100 * (20 - back) / 20
        assert loss == 25
        assert verdict_for(replace(GOOD, loss_percent=loss)) is not Verdict.VIDEO
    finally:
        await echo.close()


async def test_the_bound_refuses_one_more_until_a_slot_is_free() -> None:
    echo = EchoChecks(2, 20, _no_ice)
    clients = [Browserish() for _ in range(3)]
    try:
        first, _ = await echo.start(await clients[0].offer())
        await echo.start(await clients[1].offer())
        with pytest.raises(CheckBusy) as busy:
            await echo.start(await clients[2].offer())
        assert 1 <= busy.value.retry_after_seconds <= 20
        echo.finish(first)
        await asyncio.wait_for(echo.wait_closed(first), timeout=5)
        await echo.start(await clients[2].offer())
        assert echo.running == 2
    finally:
        await echo.close()
        for client in clients:
            await client.close()
    assert echo.running == 0


async def test_an_abandoned_check_is_freed_at_its_deadline(browserish: Browserish) -> None:
    echo = EchoChecks(1, 1.0, _no_ice)
    try:
        check_id, answer = await echo.start(await browserish.offer())
        await browserish.answer(answer)
        # The client never reports a result: the deadline closes the peer.
        await asyncio.wait_for(echo.wait_closed(check_id), timeout=10)
        assert echo.running == 0
        closed = asyncio.get_running_loop().create_future()
        if browserish.pc.connectionState in ("closed", "failed"):
            closed.set_result(None)
        else:

            @browserish.pc.on("connectionstatechange")
            def _gone() -> None:
                if browserish.pc.connectionState in ("closed", "failed") and not closed.done():
                    closed.set_result(None)

        await asyncio.wait_for(closed, timeout=40)  # the client sees the peer go away
    finally:
        await echo.close()


async def test_shutdown_closes_every_check_and_refuses_new_ones(browserish: Browserish) -> None:
    echo = EchoChecks(2, 20, _no_ice)
    await echo.start(await browserish.offer())
    await echo.close()
    assert echo.running == 0
    with pytest.raises(CheckBusy):
        await echo.start(await browserish.offer())
    await echo.close()  # twice is fine


async def test_an_unusable_offer_is_refused_and_frees_its_slot() -> None:
    echo = EchoChecks(1, 20, _no_ice)
    try:
        with pytest.raises(CheckOfferInvalid):
            await echo.start("v=0\r\nnot an offer\r\n")
        with pytest.raises(CheckOfferInvalid):
            await echo.start("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nbroken\r\n")
        assert echo.running == 0
    finally:
        await echo.close()


# ---- the HTTP side ----------------------------------------------------------------------


@pytest.fixture
async def check_client(settings: Settings) -> AsyncIterator[TestClient]:
    app = create_app(replace(settings, check_max_concurrent=1, check_seconds=20))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def _verdicts(client: TestClient) -> list[CheckVerdictRow]:
    async with client.app[DB]() as db:
        return list((await db.execute(select(CheckVerdictRow))).scalars())


async def test_offer_answer_result_over_http_keeps_only_the_verdict(
    check_client: TestClient, browserish: Browserish
) -> None:
    page = await check_client.get("/check")
    assert page.status == 200
    assert 'id="level"' in await page.text()
    resp = await check_client.post("/api/check/offer", json={"type": "offer", "sdp": await browserish.offer()})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    await browserish.answer(body["sdp"])
    assert await browserish.pings(5) == 5

    # While it runs, a second check is refused with a time to retry.
    other = Browserish()
    try:
        busy = await check_client.post("/api/check/offer", json={"type": "offer", "sdp": await other.offer()})
    finally:
        await other.close()
    assert busy.status == 503
    assert int(busy.headers["Retry-After"]) >= 1
    assert (await busy.json())["error"]["code"] == "check_busy"
    # Both counted on the node's metrics: one running, one refused.
    metrics = await (await check_client.get("/metrics")).text()
    assert "videoberatung_echo_checks_running 1.0" in metrics
    assert "videoberatung_echo_checks_refused_total 1.0" in metrics

    result = await check_client.post(
        "/api/check/result",
        json={
            "check": body["check"],
            "connected": True,
            "rtt_ms": 12,
            "loss_percent": 0,
            "jitter_ms": 2,
            "bitrate_kbps": 3000,
        },
        headers={"User-Agent": IPHONE},
    )
    assert result.status == 200
    verdict = await result.json()
    assert verdict["verdict"] == "video"
    assert verdict["message"] == "Video wird funktionieren."
    assert verdict["fallback_url"] is None
    await asyncio.wait_for(check_client.app[ECHO].wait_closed(body["check"]), timeout=5)
    assert check_client.app[ECHO].running == 0
    (row,) = await _verdicts(check_client)
    assert (row.device_class, row.verdict, row.benefit_group) == ("smartphone", "video", None)


async def test_stored_verdict_has_no_way_back_to_a_person(check_client: TestClient) -> None:
    async with check_client.app[DB]() as db:
        columns = await db.run_sync(
            lambda s: {c["name"] for c in inspect(s.connection()).get_columns("check_verdicts")}
        )
    assert columns == {"id", "device_class", "verdict", "benefit_group", "month"}


async def test_check_from_an_invitation_records_the_group_and_offers_the_fallback(new_client: Any, app: Any) -> None:
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf, group="sgb3")
    recipient = await new_client()
    resp = await recipient.get(join_path, allow_redirects=False)
    assert resp.status == 303
    landing = await (await recipient.get(f"/s/{session_id}")).text()
    assert f'href="/s/{session_id}/check"' in landing
    page = await recipient.get(f"/s/{session_id}/check")
    assert page.status == 200
    assert f"/s/{session_id}/fallback?reason=check_failed" in await page.text()
    result = await recipient.post(
        "/api/check/result",
        json={
            "connected": False,
            "rtt_ms": 0,
            "loss_percent": 0,
            "jitter_ms": 0,
            "bitrate_kbps": 0,
            "session": session_id,
        },
    )
    verdict = await result.json()
    assert verdict["verdict"] == "not_possible"
    assert verdict["message"] == "Video ist hier nicht möglich."
    assert verdict["fallback_url"] == f"/s/{session_id}/fallback?reason=check_failed"
    fallback = await (await recipient.get(verdict["fallback_url"])).text()
    assert 'id="check-failed"' in fallback
    async with app[DB]() as db:
        (row,) = (await db.execute(select(CheckVerdictRow))).scalars()
    assert (row.verdict, row.benefit_group, row.device_class) == ("not_possible", "sgb3", "computer")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "answer", "sdp": "v=0"},
        {"type": "offer"},
        {"type": "offer", "sdp": "x" * 70000},
        {"type": "offer", "sdp": "v=0\r\nnonsense\r\n"},
        [1, 2],
    ],
)
async def test_bad_offers_get_a_json_error(check_client: TestClient, body: Any) -> None:
    resp = await check_client.post("/api/check/offer", json=body)
    assert resp.status == 400
    assert "error" in await resp.json()
    assert check_client.app[ECHO].running == 0


async def test_bad_results_get_a_json_error_and_store_nothing(check_client: TestClient) -> None:
    for body in (
        {"connected": True, "rtt_ms": -5},
        {"connected": True, "rtt_ms": "fast"},
        {"connected": True, "loss_percent": 300},
    ):
        resp = await check_client.post("/api/check/result", json=body)
        assert resp.status == 400
    assert await _verdicts(check_client) == []


async def test_cross_origin_and_form_posts_are_refused(check_client: TestClient) -> None:
    resp = await check_client.post(
        "/api/check/result", json={"connected": False}, headers={"Origin": "https://evil.example"}
    )
    assert resp.status == 403
    resp = await check_client.post("/api/check/result", data="connected=false")
    assert resp.status in (403, 415)
    assert await _verdicts(check_client) == []


async def test_verdicts_go_with_the_feedback_retention(settings: Settings) -> None:
    from datetime import UTC, datetime

    from recordings_policy import load_policy
    from storage import checks
    from storage.db import create_engine, sessionmaker_for
    from storage.purge import purge

    engine = create_engine(settings.database_url)
    db = sessionmaker_for(engine)
    try:
        async with db.begin() as s:
            await checks.record_verdict(s, DeviceClass.TABLET, Verdict.AUDIO_ONLY, "sgb2", "2024-01")
            await checks.record_verdict(s, DeviceClass.TABLET, Verdict.VIDEO, "sgb2", "2026-02")
        report = await purge(db, load_policy(settings.policy_path), datetime(2026, 3, 1, tzinfo=UTC))
        assert report.deleted["check_verdicts"] == 1
        async with db() as s:
            assert await checks.verdict_counts(s, "sgb2") == {("tablet", "video"): 1}
    finally:
        await engine.dispose()


async def test_server_shutdown_closes_running_checks(settings: Settings, browserish: Browserish) -> None:
    app = create_app(settings)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        resp = await client.post("/api/check/offer", json={"type": "offer", "sdp": await browserish.offer()})
        assert resp.status == 200
        echo = app[ECHO]
        assert echo.running == 1
    finally:
        await client.close()
    assert echo.running == 0


def test_check_bounds_from_the_environment() -> None:
    settings = Settings.from_env({"INSTANCE_PATH": "/tmp/x", "CHECK_MAX_CONCURRENT": "9", "CHECK_SECONDS": "12"})
    assert (settings.check_max_concurrent, settings.check_seconds) == (9, 12.0)
    assert Settings.from_env({"INSTANCE_PATH": "/tmp/x"}).check_max_concurrent == 4


async def test_a_check_whose_peer_goes_away_is_freed_before_its_deadline(browserish: Browserish) -> None:
    echo = EchoChecks(1, 60, _no_ice)
    try:
        check_id, answer = await echo.start(await browserish.offer())
        await browserish.answer(answer)
        await browserish.close()  # the tab is closed: DTLS says goodbye
        await asyncio.wait_for(echo.wait_closed(check_id), timeout=15)
        assert echo.running == 0
    finally:
        await echo.close()
