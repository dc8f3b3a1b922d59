"""A counselling session and the participants' admission, as explicit state machines."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from rooms.errors import IllegalTransition, SessionClosed

__all__ = [
    "BenefitGroup",
    "SessionState",
    "Outcome",
    "Admission",
    "CounselSession",
    "admission_transition",
]


class BenefitGroup(enum.StrEnum):
    SGB2 = "sgb2"
    SGB3 = "sgb3"


class SessionState(enum.StrEnum):
    OPEN = "open"  # link valid, nobody admitted yet
    IN_CALL = "in_call"  # a recipient has been admitted
    ENDED = "ended"  # outcome recorded; terminal


# The states in which the invitation link still leads into the session.
JOINABLE_STATES = frozenset({SessionState.OPEN, SessionState.IN_CALL})


class Outcome(enum.StrEnum):
    VIDEO = "video"
    PHONE = "phone"
    IN_PERSON = "in_person"
    NO_SHOW = "no_show"
    TECHNICAL_FAILURE = "technical_failure"


class Admission(enum.StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"
    DECLINED = "declined"


_SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.OPEN: frozenset({SessionState.IN_CALL, SessionState.ENDED}),
    SessionState.IN_CALL: frozenset({SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
}

_ADMISSION_TRANSITIONS: dict[Admission, frozenset[Admission]] = {
    Admission.WAITING: frozenset({Admission.ADMITTED, Admission.DECLINED}),
    Admission.ADMITTED: frozenset(),
    Admission.DECLINED: frozenset(),
}


def admission_transition(current: Admission, target: Admission) -> Admission:
    """Return ``target`` if a participant may move there from ``current``."""
    if target not in _ADMISSION_TRANSITIONS[current]:
        raise IllegalTransition("admission", current, target)
    return target


@dataclass
class CounselSession:
    """One video counselling appointment between a caseworker and a recipient."""

    id: str
    caseworker_id: int
    group: BenefitGroup
    language: str
    invitation_jti: str
    created_at: datetime
    office_id: int | None = None
    scheduled_at: datetime | None = None
    state: SessionState = SessionState.OPEN
    outcome: Outcome | None = None
    ended_at: datetime | None = field(default=None)

    @property
    def joinable(self) -> bool:
        """Whether the invitation link still leads into the session."""
        return self.state in JOINABLE_STATES

    def _move(self, target: SessionState) -> None:
        if target not in _SESSION_TRANSITIONS[self.state]:
            raise IllegalTransition("session", self.state, target)
        self.state = target

    def ensure_joinable(self) -> None:
        if not self.joinable:
            raise SessionClosed(self.state)

    def admit(self) -> None:
        """A recipient was admitted: the call begins (idempotent while in call)."""
        if self.state is SessionState.IN_CALL:
            return
        self.ensure_joinable()
        self._move(SessionState.IN_CALL)

    def rotate_invitation(self, new_jti: str) -> None:
        """Revoke the current link: only a token carrying ``new_jti`` opens the session now."""
        self.ensure_joinable()
        self.invitation_jti = new_jti

    def end(self, outcome: Outcome, now: datetime) -> None:
        """Record the outcome; the session ends and its link stops working."""
        self._move(SessionState.ENDED)
        self.outcome = outcome
        self.ended_at = now

    def settle(self, outcome: Outcome, now: datetime) -> None:
        """The fallback appointment took place (or not): its channel is the session's outcome.

        A video attempt that ended as a technical failure or no-show was the reason for
        the fallback, so the fallback's outcome replaces it; a held call stays as it is.
        """
        if self.state is not SessionState.ENDED:
            self.end(outcome, now)
        elif self.outcome in (None, Outcome.TECHNICAL_FAILURE, Outcome.NO_SHOW):
            self.outcome = outcome
