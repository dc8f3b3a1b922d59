"""Signalling errors, and the one place that maps an error's wire code to an ack.

SignalingError
└── Refusal          an event was refused by the edge itself; carries the wire ``code``

Domain and application errors carry their wire code as ``code`` (a class attribute,
issue 23); this module maps code -> message once, as ``web/errors.py`` maps code ->
(status, title) over HTTP, so one error has one code on both edges.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SignalingError", "Refusal", "error_reply", "MESSAGES"]


class SignalingError(Exception):
    """Root of the signalling package's errors."""


class Refusal(SignalingError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Wire code -> the ack's message (English: the pages show their own, translated, text).
MESSAGES: dict[str, str] = {
    "bad_request": "Not possible.",
    "not_found": "Unknown session or participant.",
    "session_closed": "The session has ended.",
    "not_admitted": "Not admitted to this call.",
    "conflict": "Not possible in the current state.",
    "call_full": "The call already has three participants. Nobody else can join.",
    "consent_required": "Consent is required first.",
    "forbidden": "Not allowed.",
}


# Until every domain error class carries ``code`` (another part of issue 23): the codes
# the socket gave these before, by class name. Delete once the classes have their own.
def _code(exc: Exception) -> str | None:
    """The first wire code of ours along the error's classes (a child falls back to its
    parent's), read from each class itself: a library's own ``code`` is no wire code."""
    for kind in type(exc).__mro__:
        code = vars(kind).get("code")
        if isinstance(code, str) and code in MESSAGES:
            return code
    return None


def error_reply(exc: Exception) -> dict[str, Any] | None:
    """The ack for a refused event, or None when ``exc`` carries no wire code of ours (a bug:
    logged, and answered ``internal``)."""
    if isinstance(exc, Refusal):
        return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
    code = _code(exc)
    if code is None:
        return None
    return {"ok": False, "error": {"code": code, "message": MESSAGES.get(code, "Not possible.")}}
