"""Real WebRTC through our signalling: aiortc peer pairs, offer to connected.

Each pair is a call of the fixture (caseworker and admitted recipient), both sides a
socket.io client and an aiortc ``RTCPeerConnection`` sending a synthetic audio track
(silence; no files, no STUN/TURN: ``iceServers`` empty, host candidates only). aiortc
gathers every candidate before it returns the description, so the offer and the answer
carry them and no ``candidate`` event is needed. All pairs negotiate at once; each is
timed from ``createOffer`` until both sides report ``connectionState == "connected"``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from load_tests.harness import Conn, LagMonitor, close_all, connect_pairs, percentile
from load_tests.targets import Target

__all__ = ["calls"]

TIMEOUT = 30.0


def _peer_connection() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def _connected(pc: RTCPeerConnection) -> asyncio.Future[float]:
    """Resolves with perf_counter() when ``pc`` is connected; fails when its connection fails."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    @pc.on("connectionstatechange")
    def changed() -> None:
        if done.done():
            return
        if pc.connectionState == "connected":
            done.set_result(time.perf_counter())
        elif pc.connectionState == "failed":
            done.set_exception(ConnectionError("peer connection failed"))

    return done


async def _send(conn: Conn, event: str, sdp: str, refused: list[Any]) -> None:
    def acked(reply: Any = None) -> None:
        if not (isinstance(reply, dict) and reply.get("ok")):
            refused.append(reply)

    await conn.sio.emit(event, {"sdp": sdp}, callback=acked)


async def _negotiate(caseworker: Conn, recipient: Conn) -> float:
    """Offer (caseworker) and answer (recipient) through the server; ms until both connect."""
    caller, callee = _peer_connection(), _peer_connection()
    refused: list[Any] = []
    try:
        caller.addTrack(AudioStreamTrack())
        connected = [_connected(caller), _connected(callee)]
        start = time.perf_counter()
        await caller.setLocalDescription(await caller.createOffer())
        await _send(caseworker, "offer", caller.localDescription.sdp, refused)
        offer = await asyncio.wait_for(recipient.queue("offer").get(), TIMEOUT)
        await callee.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        callee.addTrack(AudioStreamTrack())  # takes the offered transceiver: sendrecv
        await callee.setLocalDescription(await callee.createAnswer())
        await _send(recipient, "answer", callee.localDescription.sdp, refused)
        answer = await asyncio.wait_for(caseworker.queue("answer").get(), TIMEOUT)
        await caller.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        at = await asyncio.wait_for(asyncio.gather(*connected), TIMEOUT)
        return (max(at) - start) * 1000
    except TimeoutError as exc:
        raise TimeoutError(f"pair did not connect (server refused: {refused})") from exc
    finally:
        await asyncio.gather(caller.close(), callee.close())


async def calls(target: Target, http: aiohttp.ClientSession, pairs: int) -> dict[str, Any]:
    """``pairs`` aiortc calls negotiated at once through ``target``'s signalling."""
    conns = await connect_pairs(target, http, pairs)
    try:
        with LagMonitor() as monitor:
            found = await asyncio.gather(*(_negotiate(a, b) for a, b in conns), return_exceptions=True)
    finally:
        await close_all(conns)
    times = [t for t in found if isinstance(t, float)]
    failures = sorted({f"{type(e).__name__}: {e}" for e in found if isinstance(e, BaseException)})
    return {
        "pairs": pairs,
        "connected": len(times),
        "failures": failures,
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "max_ms": max(times, default=None),
        **monitor.verdict(),
    }
