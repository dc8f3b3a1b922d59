"""Signalling errors and the one place that maps domain errors to wire error codes.

SignalingError
└── Refusal          an event was refused; carries the wire ``code``
"""

from __future__ import annotations

from typing import Any

from consent.errors import ConsentMissing
from recordings_policy.errors import NotStored
from rooms.errors import (
    CallFull,
    IllegalTransition,
    NotAdmitted,
    RoomsError,
    SessionClosed,
    SessionNotFound,
)

__all__ = ["SignalingError", "Refusal", "error_reply"]


class SignalingError(Exception):
    """Root of the signalling package's errors."""


class Refusal(SignalingError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_DOMAIN_CODES: list[tuple[type[Exception], str, str]] = [
    (SessionNotFound, "not_found", "Unknown session or participant."),
    (SessionClosed, "session_closed", "The session has ended."),
    (NotAdmitted, "not_admitted", "Not admitted to this call."),
    (IllegalTransition, "conflict", "Not possible in the current state."),
    (CallFull, "call_full", "The call already has three participants. Nobody else can join."),
    (ConsentMissing, "consent_required", "Consent is required first."),
    (RoomsError, "forbidden", "Not allowed."),
    (NotStored, "forbidden", "Recording is not allowed: this conversation is never recorded."),
]


def error_reply(exc: Exception) -> dict[str, Any] | None:
    """The ack for a refused event, or None when ``exc`` is not ours to answer."""
    if isinstance(exc, Refusal):
        return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
    for kind, code, message in _DOMAIN_CODES:
        if isinstance(exc, kind):
            return {"ok": False, "error": {"code": code, "message": message}}
    return None
