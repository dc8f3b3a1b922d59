"""Errors of the rooms domain.

RoomsError
├── IllegalTransition        a state change the state machine forbids
├── SessionNotFound
├── SessionClosed            the session has ended
├── NotAdmitted              a participant acted before admission
├── CheckBusy                every echo peer of this node is in use: retry later
├── CheckNotFound            no running check with that id (finished, expired or unknown)
├── CheckOfferInvalid        the browser's offer could not be answered
├── InvalidAttemptEvent      an attempt-log report outside the closed vocabulary
├── NoFailedAttempt          a proof was asked for an attempt that did not fail
├── ProofInvalid             a proof code is forged, altered or expired (no reason given)
├── CallFull                 three participants are in the call already
├── ThirdPersonError         adding or joining a third person is not possible
│   ├── ThirdExists          the session has its third person already
│   ├── ThirdNotAgreed       the recipient has not agreed (yet)
│   └── WrongInvitation      a link made for someone else (recipient ↔ third person)
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
    "InvalidAttemptEvent",
    "NoFailedAttempt",
    "ProofInvalid",
    "CallFull",
    "ThirdPersonError",
    "ThirdExists",
    "ThirdNotAgreed",
    "WrongInvitation",
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


class InvalidAttemptEvent(RoomsError):
    pass


class NoFailedAttempt(RoomsError):
    pass


class ProofInvalid(RoomsError):
    pass


class CallFull(RoomsError):
    pass


class ThirdPersonError(RoomsError):
    pass


class ThirdExists(ThirdPersonError):
    pass


class ThirdNotAgreed(ThirdPersonError):
    pass


class WrongInvitation(ThirdPersonError):
    pass


class InvitationError(RoomsError):
    # Set when the invitation was genuine but cannot be used now (early, expired,
    # withdrawn), so the error page can name the appointment and its office.
    session_id: str | None = None

    def __init__(self, reason: str = "", *, session_id: str | None = None) -> None:
        super().__init__(reason)
        self.session_id = session_id


class InvitationExpired(InvitationError):
    pass


class InvitationNotYetValid(InvitationError):
    pass


class InvitationInvalid(InvitationError):
    pass


class InvitationRevoked(InvitationError):
    pass
