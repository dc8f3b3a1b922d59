"""Validation of every client payload; a bad one raises ``Refusal('bad_payload')``."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from signaling.errors import Refusal

__all__ = [
    "MAX_SDP",
    "MAX_CANDIDATE",
    "Description",
    "Candidate",
    "LobbyTarget",
    "ConnectAuth",
    "description",
    "candidate",
    "lobby_target",
    "connect_auth",
    "empty",
    "addressee",
]

MAX_SDP = 64 * 1024
MAX_CANDIDATE = 2 * 1024
_INSTANCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _refuse(message: str) -> Refusal:
    return Refusal("bad_payload", message)


def _utf8_size(value: str, name: str) -> int:
    """The UTF-8 size of ``value``; a lone surrogate (``"\ud800"``) is a bad payload."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise _refuse(f"{name} is not valid Unicode") from None


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _refuse("payload must be an object")
    return data


def _uuid(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) != 36:
        raise _refuse(f"{name} must be an id")
    try:
        uuid.UUID(value)
    except ValueError:
        raise _refuse(f"{name} must be an id") from None
    return value


@dataclass(frozen=True, slots=True)
class Description:
    sdp: str


@dataclass(frozen=True, slots=True)
class Candidate:
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None
    username_fragment: str | None

    def wire(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
            "usernameFragment": self.username_fragment,
        }


@dataclass(frozen=True, slots=True)
class LobbyTarget:
    session: str
    participant: str


@dataclass(frozen=True, slots=True)
class ConnectAuth:
    role: str
    session: str | None
    instance: str | None
    page: str = "call"  # recipients only: "wait" (waiting room), "call" or "ended" (the end page)


def description(data: Any) -> Description:
    sdp = _object(data).get("sdp")
    if not isinstance(sdp, str) or not sdp:
        raise _refuse("sdp must be a non-empty string")
    if _utf8_size(sdp, "sdp") > MAX_SDP:
        raise _refuse("sdp is larger than 64 KiB")
    return Description(sdp)


def _optional_str(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _refuse(f"{key} must be a short string or null")
    _utf8_size(value, key)
    return value


def candidate(data: Any) -> Candidate:
    data = _object(data)
    text = data.get("candidate")
    if not isinstance(text, str):
        raise _refuse("candidate must be a string")
    if _utf8_size(text, "candidate") > MAX_CANDIDATE:
        raise _refuse("candidate is larger than 2 KiB")
    index = data.get("sdpMLineIndex")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 64):
        raise _refuse("sdpMLineIndex must be an integer 0-63 or null")
    return Candidate(
        text,
        _optional_str(data, "sdpMid", 64),
        index,
        _optional_str(data, "usernameFragment", 256),
    )


def lobby_target(data: Any) -> LobbyTarget:
    data = _object(data)
    return LobbyTarget(_uuid(data.get("session"), "session"), _uuid(data.get("participant"), "participant"))


def addressee(data: Any) -> str | None:
    """The optional ``to`` of a relayed message: one participant of the call, or everybody."""
    to = data.get("to") if isinstance(data, dict) else None
    return None if to is None else _uuid(to, "to")


def empty(data: Any) -> None:
    if data is not None and not isinstance(data, dict):
        raise _refuse("payload must be an object")


def connect_auth(data: Any) -> ConnectAuth:
    data = _object(data)
    role = data.get("role")
    if role == "dashboard":
        return ConnectAuth("dashboard", None, None)
    if role not in ("caseworker", "recipient"):
        raise _refuse("role must be dashboard, caseworker or recipient")
    instance = data.get("instance")
    if not isinstance(instance, str) or not _INSTANCE.match(instance):
        raise _refuse("instance must be 8-64 characters of [A-Za-z0-9_-]")
    page = data.get("page", "call")
    if page not in ("wait", "call", "ended"):
        raise _refuse("page must be wait, call or ended")
    return ConnectAuth(role, _uuid(data.get("session"), "session"), instance, page)
