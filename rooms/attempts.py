"""The attempt log of a session: minimal pseudonymous events, and whether an attempt failed.

Events hold a kind and a short detail drawn from a closed vocabulary (a connection
state, candidate types, a STUN/TURN error code, a media error class) — never an
address, a candidate string, a device name or any free text. ``assess`` reads one
participant's events and says what was tried and what failed; given also the other
device's events and what the server itself saw (the connection set-up it relayed, the
TURN credentials it issued), it weighs a claimed failure against them: a failure the
other device contradicts (it saw the same link connected, and still does) is no failure.
The proof of a failed attempt (``rooms.proof``) is issued only when a failure stands,
and names the evidence it rests on.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rooms.errors import InvalidAttemptEvent

__all__ = [
    "EventKind",
    "Evidence",
    "Failure",
    "Step",
    "AttemptEvent",
    "Assessment",
    "MAX_EVENTS_PER_PARTICIPANT",
    "CORROBORATION_WINDOW",
    "CLIENT_KINDS",
    "BROWSER_CLASSES",
    "parse_event",
    "split_peer",
    "counterpart",
    "media_error_class",
    "relayed_detail",
    "assess",
]

# A page reports a handful of events per connection; more is a loop or a flood.
MAX_EVENTS_PER_PARTICIPANT = 300
# Both ends of a link that really broke notice within seconds of each other (ICE consent
# checks); the other device's reports up to this long after a claimed failure count.
CORROBORATION_WINDOW = timedelta(seconds=20)


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
    # Written by the server itself: an offer or answer it relayed ("offer/recipient": this
    # participant's offer to the recipient), TURN credentials it issued to this participant.
    RELAYED = "relayed"
    TURN_ISSUED = "turn_issued"


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


def counterpart(role: str) -> str:
    """The other end of the link that makes the appointment: the caseworker's is the
    recipient; everybody else's is the caseworker."""
    return "recipient" if role == "caseworker" else "caseworker"


def relayed_detail(event: str, addressee_role: str | None) -> str:
    """The server's record of relaying ``event`` (offer or answer) to a role (or to all)."""
    if event not in ("offer", "answer") or (addressee_role is not None and addressee_role not in _PEER_ROLES):
        raise InvalidAttemptEvent("relayed")
    return f"{event}/{addressee_role}" if addressee_role else event


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


class Evidence(enum.StrEnum):
    """What an assessment rests on (the proof names it in plain words)."""

    OWN = "own"  # the reports of the device asking for the proof
    OTHER = "other"  # the other device's reports on the same link, which agree
    SET_UP = "set_up"  # the server relayed the connection set-up (offer and answer) between both
    NO_SET_UP = "no_set_up"  # the server relayed no complete set-up between both
    TURN = "turn"  # the server issued TURN (relay server) credentials to this device


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
_LOST = ("failed", "disconnected", "timeout")


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
    # What the assessment rests on; empty when only one device's events were read.
    evidence: tuple[Evidence, ...] = ()
    # The other device saw the same link connected, and still did shortly after the claim.
    contradicted: bool = False
    # When the failure began: the first lost state after the last "connected", or a media error.
    claim_at: datetime | None = None

    @property
    def failed(self) -> bool:
        return bool(self.failures) and not self.contradicted

    @property
    def one_sided(self) -> bool:
        """Only this device's reports (with the server's own records): the other said nothing."""
        return Evidence.OWN in self.evidence and Evidence.OTHER not in self.evidence


def _link_states(events: Iterable[AttemptEvent], role: str, other: str, until: datetime) -> list[str]:
    """The connection states ``role``'s device reported for its link to ``other`` up to ``until``."""
    states = []
    for event in events:
        if event.kind is EventKind.CONNECTION and event.role == role and event.at <= until:
            state, peer = split_peer(event.detail)
            if peer is None or peer == other:
                states.append(state)
    return states


def _set_up(server: Sequence[AttemptEvent], role: str, other: str) -> bool:
    """Whether the server relayed an offer one way and an answer the other between both."""
    seen = set()
    for event in server:
        if event.kind is EventKind.RELAYED and event.role in (role, other):
            kind, to = split_peer(event.detail)
            if to is None or to == (other if event.role == role else role):
                seen.add((kind, event.role))
    return any(("offer", a) in seen and ("answer", b) in seen for a, b in ((role, other), (other, role)))


def _weigh(own: Assessment, role: str, other: Sequence[AttemptEvent], server: Sequence[AttemptEvent]) -> Assessment:
    """The own assessment held against the other device's reports and the server's records."""
    peer = counterpart(role)
    # What the other device had said by shortly after the claimed failure: a real break is
    # seen by both within seconds; a lone report while the other still sees the call
    # connected stays contradicted, also when the call ends later.
    anchor = own.claim_at or own.last_at
    assert anchor is not None  # only called with events
    until = anchor + CORROBORATION_WINDOW
    seen = _link_states(sorted(other, key=lambda e: e.at), peer, role, until)
    evidence = [Evidence.OWN]
    if seen:
        evidence.append(Evidence.OTHER)
    if _set_up(server, role, peer):
        evidence.append(Evidence.SET_UP)
    elif Step.CONNECTING in own.tried:
        evidence.append(Evidence.NO_SET_UP)
    if any(e.kind is EventKind.TURN_ISSUED and e.role == role for e in server):
        evidence.append(Evidence.TURN)
    contradicted = bool(own.failures) and bool(seen) and seen[-1] == "connected"
    return Assessment(own.tried, own.failures, own.first_at, own.last_at, tuple(evidence), contradicted, own.claim_at)


def assess(
    events: Iterable[AttemptEvent],
    other: Iterable[AttemptEvent] | None = None,
    server: Iterable[AttemptEvent] = (),
) -> Assessment:
    """What one participant's events say: the steps reached and what failed.

    A failure is: a camera/microphone that could not be used; a connection that was
    tried and never established; or one that was established, dropped, and whose last
    state is not connected again (an ICE restart that worked is no failure). In a call
    of three only the link that makes the appointment counts: the caseworker's link to
    the recipient, everybody else's link to the caseworker.

    With ``other`` (the other participants' events) and ``server`` (what the server
    recorded itself) the failure is weighed: when the other device's last report on the
    same link, up to ``CORROBORATION_WINDOW`` after the claimed failure began, is
    "connected", a failure reported by this device alone is contradicted.
    """
    ordered: Sequence[AttemptEvent] = sorted(
        (e for e in events if e.kind not in (EventKind.RELAYED, EventKind.TURN_ISSUED)), key=lambda e: e.at
    )
    tried: set[Step] = set()
    failures: list[Failure] = []
    ever_connected = False
    last_state: str | None = None
    lost_at: datetime | None = None  # the first lost state since the last "connected"
    media_at: datetime | None = None
    for event in ordered:
        if event.kind is EventKind.CONNECTION:
            state, peer = split_peer(event.detail)
            if peer is not None and peer != counterpart(event.role):
                continue
            tried.add(Step.CONNECTING)
            last_state = state
            if state == "connected":
                ever_connected = True
                lost_at = None
                tried.add(Step.CONNECTED)
            elif state in _LOST and lost_at is None:
                lost_at = event.at
        elif event.kind is EventKind.MEDIA_ERROR and Failure.MEDIA_UNAVAILABLE not in failures:
            failures.append(Failure.MEDIA_UNAVAILABLE)
            media_at = event.at
        elif event.kind.value in _STEP_KINDS:
            tried.add(Step(event.kind.value))
    # "closed" is our own hang-up (and close() fires no event): no failure.
    if last_state in _LOST:
        failures.append(Failure.DROPPED if ever_connected else Failure.NO_CONNECTION)
    claims = [at for at in (media_at, lost_at if last_state in _LOST else None) if at is not None]
    own = Assessment(
        tried=tuple(s for s in Step if s in tried),
        failures=tuple(failures),
        first_at=ordered[0].at if ordered else None,
        last_at=ordered[-1].at if ordered else None,
        claim_at=min(claims) if claims else None,
    )
    if other is None or not ordered:
        return own
    return _weigh(own, ordered[0].role, list(other), list(server))
