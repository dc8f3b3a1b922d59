"""The pre-call check's echo peer: a bounded set of server-side aiortc connections.

Each check answers the browser's offer, sends the browser's audio straight back and
answers data-channel pings, so the browser can measure the path. A node runs at most
``max_concurrent`` checks, each at most ``seconds``; every check is closed and its slot
freed on every exit: finished, abandoned (the deadline), connection failure, shutdown.
Nothing is recorded: media is forwarded frame by frame and never stored.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCDataChannel, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from rooms.errors import CheckBusy, CheckNotFound, CheckOfferInvalid
from signaling.metrics import NoMetrics, SignalingMetrics

__all__ = ["EchoChecks"]

logger = logging.getLogger(__name__)

IceServers = Callable[[str], list[RTCIceServer]]


@dataclass
class _Check:
    id: str
    pc: RTCPeerConnection
    deadline: float
    finish: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    pings: int = 0


class EchoChecks:
    """Owner of every running echo peer of this node.

    ``ice_servers(check_id)`` gives the ICE servers for one check: the configured TURN
    with fresh credentials, or none. Never a public STUN server (aiortc would default to
    one when given no list). ``drop_ratio`` drops that share of ping answers, to test how
    the check judges a lossy path.
    """

    def __init__(
        self,
        max_concurrent: int,
        seconds: float,
        ice_servers: IceServers,
        *,
        drop_ratio: float = 0.0,
        metrics: SignalingMetrics | None = None,
    ) -> None:
        self._metrics: SignalingMetrics = metrics or NoMetrics()
        if max_concurrent < 1 or seconds <= 0:
            raise ValueError("an echo peer needs a positive bound and duration")
        self.max_concurrent = max_concurrent
        self.seconds = seconds
        self._ice_servers = ice_servers
        self._drop_ratio = drop_ratio
        self._checks: dict[str, _Check] = {}
        self._relay = MediaRelay()
        self._closed = False

    @property
    def running(self) -> int:
        return len(self._checks)

    def retry_after(self) -> int:
        """Whole seconds until the earliest running check must have ended."""
        if not self._checks:
            return 1
        earliest = min(check.deadline for check in self._checks.values())
        return max(1, math.ceil(earliest - time.monotonic()))

    async def start(self, offer_sdp: str) -> tuple[str, str]:
        """Answer a browser's offer; returns (check id, answer SDP). Raises ``CheckBusy``."""
        if "m=application" not in offer_sdp:
            raise CheckOfferInvalid("the offer has no data channel to measure with")
        if self._closed or len(self._checks) >= self.max_concurrent:
            self._metrics.echo_refused()
            raise CheckBusy(self.retry_after() if not self._closed else 30)
        check_id = secrets.token_hex(12)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers(check_id)))
        # The slot is taken before the first await, so concurrent offers cannot exceed the bound.
        check = _Check(check_id, pc, time.monotonic() + self.seconds)
        self._checks[check_id] = check
        check.task = asyncio.create_task(self._run(check), name=f"echo-check-{check_id}")
        self._wire(check)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            check.finish.set()
            await self.wait_closed(check_id)
            raise CheckOfferInvalid(str(exc)) from exc
        return check_id, pc.localDescription.sdp

    def finish(self, check_id: str) -> None:
        """The browser is done: close this check now."""
        check = self._checks.get(check_id)
        if check is None:
            raise CheckNotFound(check_id)
        check.finish.set()

    async def wait_closed(self, check_id: str) -> None:
        """Return once the check is closed and its slot free (at once if it already is)."""
        check = self._checks.get(check_id)
        if check is not None and check.task is not None:
            await asyncio.shield(check.task)

    async def wait_idle(self) -> None:
        """Return once every check running now is closed."""
        tasks = [check.task for check in self._checks.values() if check.task]
        await asyncio.gather(*(asyncio.shield(task) for task in tasks), return_exceptions=True)

    async def close(self) -> None:
        """Close every check and refuse new ones; safe to call twice."""
        self._closed = True
        checks = list(self._checks.values())
        for check in checks:
            check.finish.set()
        await asyncio.gather(*(check.task for check in checks if check.task), return_exceptions=True)

    def _drops(self, check: _Check) -> bool:
        # Evenly spread and deterministic: with 0.25, every 4th answer is dropped.
        check.pings += 1
        return math.floor(check.pings * self._drop_ratio) > math.floor((check.pings - 1) * self._drop_ratio)

    def _wire(self, check: _Check) -> None:
        pc = check.pc

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                # Straight back to the browser; video is not echoed (re-encoding costs too much CPU).
                pc.addTrack(self._relay.subscribe(track))

        @pc.on("datachannel")
        def _on_channel(channel: RTCDataChannel) -> None:
            @channel.on("message")
            def _on_message(message: str | bytes) -> None:
                if isinstance(message, bytes):
                    channel.send(str(len(message)))  # throughput probe: acknowledge the size only
                elif not self._drops(check):
                    channel.send(message)

        @pc.on("connectionstatechange")
        def _on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                check.finish.set()

    async def _run(self, check: _Check) -> None:
        try:
            await asyncio.wait_for(check.finish.wait(), timeout=max(0.0, check.deadline - time.monotonic()))
        except TimeoutError:
            logger.info("echo check reached its deadline")
        finally:
            try:
                await check.pc.close()
            except Exception:
                logger.exception("closing an echo check failed")
            self._checks.pop(check.id, None)
