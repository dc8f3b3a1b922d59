"""The pre-call check's verdict: what the measured connection allows, in three steps.

The browser measures round-trip time, loss, jitter and achievable bitrate against the
server's echo peer; this module decides. Only the verdict, the device class and the
group are ever stored.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

__all__ = ["Verdict", "Measurement", "verdict_for", "DeviceClass", "device_class"]


class Verdict(enum.StrEnum):
    VIDEO = "video"  # "Video wird funktionieren"
    AUDIO_ONLY = "audio_only"  # "Nur Ton empfohlen"
    NOT_POSSIBLE = "not_possible"  # "Video ist hier nicht möglich" → phone or in person


class DeviceClass(enum.StrEnum):
    SMARTPHONE = "smartphone"
    TABLET = "tablet"
    COMPUTER = "computer"


@dataclass(frozen=True)
class Measurement:
    """What the browser measured; ``connected`` is False when the echo peer was never reached."""

    connected: bool
    rtt_ms: float
    loss_percent: float
    jitter_ms: float
    bitrate_kbps: float

    def __post_init__(self) -> None:
        for name in ("rtt_ms", "loss_percent", "jitter_ms", "bitrate_kbps"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite, non-negative number")
        if self.loss_percent > 100:
            raise ValueError("loss_percent is at most 100")


@dataclass(frozen=True)
class _Limits:
    max_rtt_ms: float
    max_loss_percent: float
    max_jitter_ms: float
    min_bitrate_kbps: float

    def met_by(self, m: Measurement) -> bool:
        return (
            m.rtt_ms <= self.max_rtt_ms
            and m.loss_percent <= self.max_loss_percent
            and m.jitter_ms <= self.max_jitter_ms
            and m.bitrate_kbps >= self.min_bitrate_kbps
        )


# A 360p conversation stays fluent up to here (WebRTC's own codecs conceal a few % loss).
VIDEO_LIMITS = _Limits(max_rtt_ms=400, max_loss_percent=5, max_jitter_ms=50, min_bitrate_kbps=400)
# Opus stays understandable with far less.
AUDIO_LIMITS = _Limits(max_rtt_ms=1000, max_loss_percent=15, max_jitter_ms=150, min_bitrate_kbps=40)


def verdict_for(measurement: Measurement) -> Verdict:
    if not measurement.connected:
        return Verdict.NOT_POSSIBLE
    if VIDEO_LIMITS.met_by(measurement):
        return Verdict.VIDEO
    if AUDIO_LIMITS.met_by(measurement):
        return Verdict.AUDIO_ONLY
    return Verdict.NOT_POSSIBLE


def device_class(user_agent: str) -> DeviceClass:
    """The User-Agent reduced to three classes; nothing else of it is kept."""
    ua = user_agent.lower()
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return DeviceClass.TABLET
    if "mobi" in ua or "iphone" in ua or "android" in ua:
        return DeviceClass.SMARTPHONE
    return DeviceClass.COMPUTER
