"""The session and admission state machines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rooms.errors import IllegalTransition, SessionClosed
from rooms.session import (
    Admission,
    BenefitGroup,
    CounselSession,
    Outcome,
    SessionState,
    admission_transition,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _session() -> CounselSession:
    return CounselSession(
        id="s", caseworker_id=1, group=BenefitGroup.SGB2, language="de", invitation_jti="j", created_at=NOW
    )


def test_open_session_is_joinable_and_admission_starts_the_call() -> None:
    session = _session()
    assert session.state is SessionState.OPEN and session.joinable
    session.admit()
    assert session.state is SessionState.IN_CALL and session.joinable
    session.admit()  # admitting a second time (e.g. after a rejoin) changes nothing
    assert session.state is SessionState.IN_CALL


def test_ending_records_outcome_and_closes_the_link() -> None:
    session = _session()
    session.admit()
    session.end(Outcome.VIDEO, NOW)
    assert session.state is SessionState.ENDED
    assert session.outcome is Outcome.VIDEO and session.ended_at == NOW
    assert not session.joinable
    with pytest.raises(SessionClosed):
        session.ensure_joinable()


def test_an_open_session_can_end_without_a_call() -> None:
    session = _session()
    session.end(Outcome.NO_SHOW, NOW)
    assert session.outcome is Outcome.NO_SHOW


@pytest.mark.parametrize("action", ["end", "admit", "rotate"])
def test_an_ended_session_refuses_everything(action: str) -> None:
    session = _session()
    session.end(Outcome.PHONE, NOW)
    with pytest.raises((IllegalTransition, SessionClosed)):
        if action == "end":
            session.end(Outcome.VIDEO, NOW)
        elif action == "admit":
            session.admit()
        else:
            session.rotate_invitation("new")
    assert session.outcome is Outcome.PHONE


def test_rotating_the_invitation_replaces_the_jti() -> None:
    session = _session()
    session.rotate_invitation("k")
    assert session.invitation_jti == "k" and session.state is SessionState.OPEN


def test_admission_moves_once_from_waiting() -> None:
    assert admission_transition(Admission.WAITING, Admission.ADMITTED) is Admission.ADMITTED
    assert admission_transition(Admission.WAITING, Admission.DECLINED) is Admission.DECLINED
    for current in (Admission.ADMITTED, Admission.DECLINED):
        for target in Admission:
            with pytest.raises(IllegalTransition):
                admission_transition(current, target)


def test_settle_records_the_fallback_channel() -> None:
    open_session = _session()
    open_session.settle(Outcome.PHONE, NOW)
    assert open_session.state is SessionState.ENDED and open_session.outcome is Outcome.PHONE
    failed = _session()
    failed.end(Outcome.TECHNICAL_FAILURE, NOW)
    failed.settle(Outcome.IN_PERSON, NOW)
    assert failed.outcome is Outcome.IN_PERSON
    held = _session()
    held.admit()
    held.end(Outcome.VIDEO, NOW)
    held.settle(Outcome.NO_SHOW, NOW)
    assert held.outcome is Outcome.VIDEO
