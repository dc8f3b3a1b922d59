"""Errors of the rooms domain.

RoomsError
├── IllegalTransition        a state change the state machine forbids
├── SessionNotFound
├── SessionClosed            the session has ended
├── NotAdmitted              a participant acted before admission
├── CheckBusy                every echo peer of this node is in use: retry later
├── CheckNotFound            no running check with that id (finished, expired or unknown)
├── CheckOfferInvalid        the browser's offer could not be answered
└── InvitationError          the invitation link cannot be used
    ├── InvitationExpired
    ├── InvitationNotYetValid
    ├── InvitationRevoked    the caseworker replaced the link
    └── InvitationInvalid    altered, forged, wrong issuer/audience/type, unknown key…
"""

from __future__ import annotations

__all__ = [
    "RoomsError",
    "IllegalTransition",
    "SessionNotFound",
    "SessionClosed",
    "NotAdmitted",
    "CheckBusy",
    "CheckNotFound",
    "CheckOfferInvalid",
    "InvitationError",
    "InvitationExpired",
    "InvitationNotYetValid",
    "InvitationInvalid",
    "InvitationRevoked",
]


class RoomsError(Exception):
    """Root of every error the rooms domain raises."""


class IllegalTransition(RoomsError):
    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"{kind}: cannot go from {current} to {target}")
        self.current = current
        self.target = target


class SessionNotFound(RoomsError):
    pass


class SessionClosed(RoomsError):
    pass


class NotAdmitted(RoomsError):
    pass


class CheckBusy(RoomsError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"all echo peers busy, retry in {retry_after_seconds}s")
        self.retry_after_seconds = retry_after_seconds


class CheckNotFound(RoomsError):
    pass


class CheckOfferInvalid(RoomsError):
    pass


class InvitationError(RoomsError):
    # Set when the invitation was genuine but cannot be used now (early, expired,
    # withdrawn), so the error page can name the appointment and its office.
    session_id: str | None = None


class InvitationExpired(InvitationError):
    pass


class InvitationNotYetValid(InvitationError):
    pass


class InvitationInvalid(InvitationError):
    pass


class InvitationRevoked(InvitationError):
    pass
