"""The retention purge, with a moved clock, on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import tomllib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from consent.records import ALL_SCOPES
from recordings_policy import DEFAULT_POLICY, InvalidPolicy, RetentionPolicy, load_policy
from rooms.session import BenefitGroup, CounselSession, Outcome
from storage import audit, consents, sessions, users
from storage.models import (
    AuditRow,
    ConsentRow,
    CounselSessionRow,
    LoginSession,
    ParticipantRow,
)
from storage.purge import purge
from tests.conftest import PASSWORD, TEST_PASSWORDS
from web import cli
from web.app import create_app
from web.keys import PURGER

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def _session(db, created: datetime, ended: datetime | None) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A session with one consenting recipient; return (session id, participant id)."""
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        session = CounselSession(
            id=str(uuid.uuid4()),
            caseworker_id=account.id,
            group=BenefitGroup.SGB2,
            language="de",
            invitation_jti=str(uuid.uuid4()),
            created_at=created,
        )
        await sessions.add_session(s, session)
        participant, _ = await sessions.add_participant(s, session.id, "recipient", created)
        await consents.record_consent(
            s,
            participant_id=participant.id,
            session_id=session.id,
            role="recipient",
            now=created,
            text_version="2",
            text_sha256="a" * 64,
            language="de",
            scopes=ALL_SCOPES,
        )
        if ended is not None:
            session.admit()
            session.end(Outcome.VIDEO, ended)
            await sessions.save_session(s, session)
    return session.id, participant.id


async def _ids(db, column) -> set[object]:  # type: ignore[no-untyped-def]
    async with db() as s:
        return set(await s.scalars(select(column)))


@pytest.mark.usefixtures("database")
async def test_purge_deletes_exactly_what_is_due(db) -> None:  # type: ignore[no-untyped-def]
    policy = load_policy()
    ended_early, p_early = await _session(db, T0, T0 + timedelta(hours=1))
    ended_late, p_late = await _session(db, T0, T0 + 10 * DAY)
    abandoned, _ = await _session(db, T0, None)
    fresh_open, _ = await _session(db, T0 + 60 * DAY, None)
    async with db.begin() as s:
        for day in (0, 1, 2, 80):
            await audit.audit(s, "login.ok", T0 + day * DAY, "role=caseworker")
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        expired_token, _ = await users.open_login_session(s, account, T0)
        valid_token, _ = await users.open_login_session(s, account, T0 + 91 * DAY)

    now = T0 + 91 * DAY  # 90 days after the first session ended, and a bit
    report = await purge(db, policy, now, batch=2)  # small batches: several transactions

    assert report.deleted == {
        "sessions": 2,
        "bookings": 0,
        "consent_records": 0,
        "login_sessions": 1,
        "audit_log": 3,
        "login_throttle": 0,
        "feedback_tokens": 0,
        "feedback_responses": 0,
        "feedback_offer_counts": 0,
        "caseworker_ratings": 0,
        "check_verdicts": 0,
        "attempt_events": 0,
    }
    assert await _ids(db, CounselSessionRow.id) == {ended_late, fresh_open}
    async with db() as s:
        remaining = await sessions.participants_of(s, ended_early)
        assert remaining == []
        assert await s.scalar(select(func.count()).select_from(ParticipantRow)) == 2
        # Consent records have their own, longer period: all four are still there.
        assert await s.scalar(select(func.count()).select_from(ConsentRow)) == 4
        audit_rows = list(await s.scalars(select(AuditRow).order_by(AuditRow.at)))
        assert await users.find_login_session(s, valid_token, now) is not None
        assert await s.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert [(r.event, r.at) for r in audit_rows] == [("login.ok", T0 + 80 * DAY), ("purge", now)]
    assert audit_rows[1].detail == (
        "attempt_events=0 audit_log=3 bookings=0 caseworker_ratings=0 check_verdicts=0 consent_records=0"
        " feedback_offer_counts=0 feedback_responses=0 feedback_tokens=0"
        " login_sessions=1 login_throttle=0 sessions=2"
    )
    assert p_early not in audit_rows[1].detail and expired_token not in audit_rows[1].detail

    # A second run at the same moment finds nothing more.
    again = await purge(db, policy, now)
    assert set(again.deleted.values()) == {0}

    # Three years after consent, those records go too; the one given 60 days later stays.
    final = await purge(db, policy, T0 + 1096 * DAY)
    assert final.deleted["consent_records"] == 3 and final.deleted["sessions"] == 2
    async with db() as s:
        left = list(await s.scalars(select(ConsentRow)))
    assert [r.given_at for r in left] == [T0 + 60 * DAY]
    assert {r.participant_id for r in left}.isdisjoint({p_early, p_late})
    assert await _ids(db, CounselSessionRow.id) == set()


async def test_consent_records_one_day_short_of_their_period_stay(db) -> None:  # type: ignore[no-untyped-def]
    await _session(db, T0, T0 + timedelta(hours=1))
    report = await purge(db, load_policy(), T0 + 1094 * DAY)
    assert report.deleted["sessions"] == 1 and report.deleted["consent_records"] == 0
    assert len(await _ids(db, ConsentRow.id)) == 1


async def test_in_process_purge_runs_and_is_cancelled_on_shutdown(settings, clock, db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await audit.audit(s, "login.ok", T0)
    clock.now = T0 + 31 * DAY
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        purger = app[PURGER]
        await asyncio.wait_for(purger.ran.wait(), 10)
        assert purger.last is not None and purger.last.deleted["audit_log"] == 1
        task = purger.task
        assert task is not None and not task.done()  # sleeping until the next interval
    finally:
        await server.close()
    assert task.done() and task.cancelled()
    await purger.close()  # twice is fine


async def test_purge_command(settings, db, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await audit.audit(s, "login.ok", datetime.now(UTC) - 40 * DAY)
        await audit.audit(s, "login.ok", datetime.now(UTC) - 2 * DAY)
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    # main() runs its own event loop, as from a shell: give it a thread.
    assert await asyncio.to_thread(cli.main, ["purge"]) == 0
    assert "audit_log=1" in capsys.readouterr().out
    async with db() as s:
        events = list(await s.scalars(select(AuditRow.event).order_by(AuditRow.at)))
    assert events == ["login.ok", "purge"]


def _policy_with(**anchors: str) -> RetentionPolicy:
    data = tomllib.loads(DEFAULT_POLICY.read_text())
    for category, anchor in anchors.items():
        data[category]["from"] = anchor
    return RetentionPolicy.from_mapping(data)


async def test_the_policys_from_drives_the_purge(db) -> None:  # type: ignore[no-untyped-def]
    """A session created on T0 and ended ten days later: 91 days after T0 it is due when its
    period counts from its creation, not when it counts from its end (the bundled policy)."""
    session_id, _ = await _session(db, T0, T0 + 10 * DAY)
    kept = await purge(db, _policy_with(session_metadata="session_end"), T0 + 91 * DAY)
    assert kept.deleted["sessions"] == 0
    gone = await purge(db, _policy_with(session_metadata="created"), T0 + 91 * DAY)
    assert gone.deleted["sessions"] == 1
    assert await _ids(db, CounselSessionRow.id) == set()


@pytest.mark.parametrize(
    ("category", "anchor"), [("feedback", "session_end"), ("logs", "appointment"), ("consent_records", "session_end")]
)
def test_a_from_the_data_cannot_count_from_is_refused(category: str, anchor: str) -> None:
    with pytest.raises(InvalidPolicy, match=f"\\[{category}\\]: from must be one of"):
        _policy_with(**{category: anchor})
