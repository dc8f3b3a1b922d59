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
│   └── FailureContradicted  the other device saw the same call connected
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

from rooms.domain_errors import DomainError

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
    "FailureContradicted",
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


class RoomsError(DomainError):
    """Root of every error the rooms domain raises."""


class IllegalTransition(RoomsError, code="conflict"):
    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"{kind}: cannot go from {current} to {target}")
        self.current = current
        self.target = target


class SessionNotFound(RoomsError, code="not_found"): ...


class SessionClosed(RoomsError, code="session_closed"): ...


class NotAdmitted(RoomsError, code="not_admitted"): ...


class CheckBusy(RoomsError, code="check_busy"):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"all echo peers busy, retry in {retry_after_seconds}s")
        self.retry_after_seconds = retry_after_seconds


class CheckNotFound(RoomsError, code="check_not_found"): ...


class CheckOfferInvalid(RoomsError, code="check_offer_invalid"): ...


class InvalidAttemptEvent(RoomsError, code="bad_request"): ...


class NoFailedAttempt(RoomsError, code="no_failed_attempt"): ...


class FailureContradicted(NoFailedAttempt, code="failure_contradicted"):
    """A device reported a failure, but the other device saw the same link connected."""


class ProofInvalid(RoomsError, code="proof_invalid"): ...


class CallFull(RoomsError, code="call_full"): ...


class ThirdPersonError(RoomsError, code="third_person"): ...


class ThirdExists(ThirdPersonError, code="third_exists"): ...


class ThirdNotAgreed(ThirdPersonError, code="third_not_agreed"): ...


class WrongInvitation(ThirdPersonError, code="wrong_invitation"): ...


class InvitationError(RoomsError, code="invitation_invalid"):
    # Set when the invitation was genuine but cannot be used now (early, expired,
    # withdrawn), so the error page can name the appointment and its office.
    session_id: str | None = None

    def __init__(self, reason: str = "", *, session_id: str | None = None) -> None:
        super().__init__(reason)
        self.session_id = session_id


class InvitationExpired(InvitationError, code="invitation_expired"): ...


class InvitationNotYetValid(InvitationError, code="invitation_not_yet_valid"): ...


class InvitationInvalid(InvitationError, code="invitation_invalid"): ...


class InvitationRevoked(InvitationError, code="invitation_revoked"): ...
