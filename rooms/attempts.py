"""The attempt log of a session: minimal pseudonymous events, and whether an attempt failed.

Events hold a kind and a short detail drawn from a closed vocabulary (a connection
state, candidate types, a STUN/TURN error code, a media error class) — never an
address, a candidate string, a device name or any free text. ``assess`` reads one
participant's events and says what was tried and what failed; the proof of a failed
attempt (``rooms.proof``) is issued only when it finds a failure.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rooms.errors import InvalidAttemptEvent

__all__ = [
    "EventKind",
    "Failure",
    "Step",
    "AttemptEvent",
    "Assessment",
    "MAX_EVENTS_PER_PARTICIPANT",
    "CLIENT_KINDS",
    "BROWSER_CLASSES",
    "parse_event",
    "split_peer",
    "media_error_class",
    "assess",
]

# A page reports a handful of events per connection; more is a loop or a flood.
MAX_EVENTS_PER_PARTICIPANT = 300


class EventKind(enum.StrEnum):
    LINK_OPENED = "link_opened"
    CONSENT = "consent"
    CHECK = "check"
    WAITING = "waiting"
    ADMITTED = "admitted"
    CONNECTION = "connection"
    ICE_GATHERED = "ice_gathered"
    ICE_ERROR = "ice_error"
    TURN = "turn"
    MEDIA_ERROR = "media_error"
    BROWSER = "browser"
    PROOF_ISSUED = "proof_issued"


# What a browser may report itself; the other kinds are written by the server.
CLIENT_KINDS = frozenset(
    {
        EventKind.CONNECTION,
        EventKind.ICE_GATHERED,
        EventKind.ICE_ERROR,
        EventKind.TURN,
        EventKind.MEDIA_ERROR,
        EventKind.BROWSER,
    }
)

# "timeout": the page gave up waiting for a connection (a relay-only path without a
# reachable TURN server never leaves "new" in Chromium).
_CONNECTION_STATES = frozenset({"new", "connecting", "connected", "disconnected", "failed", "closed", "timeout"})
_CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
_MEDIA_CLASSES = frozenset({"denied", "missing", "in_use", "failed"})
_TURN = frozenset({"reachable", "unreachable", "none"})
# What a browser lacks that a call needs (web/static/js/capable.js): the class, never the user agent.
BROWSER_CLASSES = frozenset({"no_webrtc", "no_media_devices", "insecure_context"})
_ERROR_CODE = re.compile(r"^[0-9]{1,3}$")


def media_error_class(name: str) -> str:
    """A ``getUserMedia`` error name reduced to its class (no device names)."""
    if name in ("NotAllowedError", "SecurityError"):
        return "denied"
    if name in ("NotFoundError", "OverconstrainedError"):
        return "missing"
    if name in ("NotReadableError", "AbortError"):
        return "in_use"
    return "failed"


def _gathered(detail: str) -> str:
    if detail == "none":
        return detail
    parts = detail.split("+")
    if not parts or any(p not in _CANDIDATE_TYPES for p in parts) or len(set(parts)) != len(parts):
        raise InvalidAttemptEvent("candidate types")
    return "+".join(t for t in _CANDIDATE_TYPES if t in parts)


_PEER_ROLES = frozenset({"caseworker", "recipient", "interpreter", "companion"})


def split_peer(detail: str) -> tuple[str, str | None]:
    """``"failed/caseworker"`` → (``"failed"``, ``"caseworker"``): the state and which link
    (by the other side's role) it belongs to, in a call of three; no suffix: the only link."""
    value, _, peer = detail.partition("/")
    return value, peer or None


def parse_event(kind: object, detail: object) -> tuple[EventKind, str]:
    """A browser's report, validated against the closed vocabulary; raises ``InvalidAttemptEvent``."""
    try:
        event = EventKind(str(kind))
    except ValueError:
        raise InvalidAttemptEvent("kind") from None
    if event not in CLIENT_KINDS or not isinstance(detail, str) or len(detail) > 32:
        raise InvalidAttemptEvent("kind or detail")
    value, peer = split_peer(detail)
    if peer is not None and (peer not in _PEER_ROLES or event in (EventKind.MEDIA_ERROR, EventKind.BROWSER)):
        raise InvalidAttemptEvent("peer")
    suffix = f"/{peer}" if peer else ""
    if event is EventKind.CONNECTION and value in _CONNECTION_STATES:
        return event, value + suffix
    if event is EventKind.ICE_GATHERED:
        return event, _gathered(value) + suffix
    if event is EventKind.ICE_ERROR and _ERROR_CODE.match(value):
        return event, str(int(value)) + suffix
    if event is EventKind.TURN and value in _TURN:
        return event, value + suffix
    if event is EventKind.MEDIA_ERROR and value in _MEDIA_CLASSES:
        return event, value
    if event is EventKind.BROWSER and value in BROWSER_CLASSES:
        return event, value
    raise InvalidAttemptEvent("detail")


class Failure(enum.StrEnum):
    NO_CONNECTION = "no_connection"
    MEDIA_UNAVAILABLE = "media_unavailable"
    DROPPED = "dropped"


class Step(enum.StrEnum):
    """What was tried, in the order a recipient goes."""

    LINK_OPENED = "link_opened"
    CONSENT = "consent"
    CHECK = "check"
    WAITING = "waiting"
    ADMITTED = "admitted"
    CONNECTING = "connecting"
    CONNECTED = "connected"


_STEP_KINDS = frozenset(s.value for s in Step)


@dataclass(frozen=True, slots=True)
class AttemptEvent:
    at: datetime
    role: str
    kind: EventKind
    detail: str


@dataclass(frozen=True, slots=True)
class Assessment:
    tried: tuple[Step, ...]
    failures: tuple[Failure, ...]
    first_at: datetime | None
    last_at: datetime | None

    @property
    def failed(self) -> bool:
        return bool(self.failures)


def assess(events: Iterable[AttemptEvent]) -> Assessment:
    """What one participant's events say: the steps reached and what failed.

    A failure is: a camera/microphone that could not be used; a connection that was
    tried and never established; or one that was established, dropped, and whose last
    state is not connected again (an ICE restart that worked is no failure). In a call
    of three only the link that makes the appointment counts: the caseworker's link to
    the recipient, everybody else's link to the caseworker.
    """
    ordered: Sequence[AttemptEvent] = sorted(events, key=lambda e: e.at)
    tried: set[Step] = set()
    failures: list[Failure] = []
    ever_connected = False
    last_state: str | None = None
    for event in ordered:
        if event.kind is EventKind.CONNECTION:
            state, peer = split_peer(event.detail)
            if peer is not None and peer != ("recipient" if event.role == "caseworker" else "caseworker"):
                continue
            tried.add(Step.CONNECTING)
            last_state = state
            if state == "connected":
                ever_connected = True
                tried.add(Step.CONNECTED)
        elif event.kind is EventKind.MEDIA_ERROR and Failure.MEDIA_UNAVAILABLE not in failures:
            failures.append(Failure.MEDIA_UNAVAILABLE)
        elif event.kind.value in _STEP_KINDS:
            tried.add(Step(event.kind.value))
    # "closed" is our own hang-up (and close() fires no event): no failure.
    if last_state in ("failed", "disconnected", "timeout"):
        failures.append(Failure.DROPPED if ever_connected else Failure.NO_CONNECTION)
    return Assessment(
        tried=tuple(s for s in Step if s in tried),
        failures=tuple(failures),
        first_at=ordered[0].at if ordered else None,
        last_at=ordered[-1].at if ordered else None,
    )
