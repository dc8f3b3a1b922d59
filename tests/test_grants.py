"""The one-query connect grants, on real SQLite and real PostgreSQL: every refusal reason is visible."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consent.records import ALL_SCOPES
from rooms.session import Admission, BenefitGroup, CounselSession, Outcome, SessionState
from storage import consents, grants, sessions, users
from tests.conftest import PASSWORD, TEST_PASSWORDS

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


async def _session(s, account_id: int) -> str:  # type: ignore[no-untyped-def]
    session_id = str(uuid.uuid4())
    await sessions.add_session(
        s,
        CounselSession(
            id=session_id,
            caseworker_id=account_id,
            group=BenefitGroup.SGB2,
            language="de",
            invitation_jti=str(uuid.uuid4()),
            created_at=NOW,
        ),
    )
    return session_id


async def test_staff_grant_reads_login_session_and_own_session(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        assert account
        other = await users.create_user(
            s, TEST_PASSWORDS, "kollegin", "y" * 12, display_name="K", role="caseworker", now=NOW
        )
        token, _ = await users.open_login_session(s, account, NOW)
        mine = await _session(s, account.id)
        theirs = await _session(s, other.id)
        without_participant = await _session(s, account.id)
        participant, _ = await sessions.add_participant(s, mine, "caseworker", NOW)
        await sessions.add_participant(s, mine, "recipient", NOW)
    async with db() as s:
        dashboard = await grants.staff_grant(s, token, None, NOW)
        call = await grants.staff_grant(s, token, mine, NOW)
        foreign = await grants.staff_grant(s, token, theirs, NOW)
        unknown = await grants.staff_grant(s, token, str(uuid.uuid4()), NOW)
        fresh = await grants.staff_grant(s, token, without_participant, NOW)
        assert await grants.staff_grant(s, "not-a-token", mine, NOW) is None
        assert await grants.staff_grant(s, token, mine, NOW + timedelta(days=30)) is None  # expired
    expires = dashboard.login_expires_at if dashboard else None
    assert expires is not None and expires > NOW  # a pass minted from it expires with the login
    assert dashboard == grants.StaffGrant(account.id, "caseworker", None, None, expires)
    assert call == grants.StaffGrant(account.id, "caseworker", SessionState.OPEN, participant.id, expires)
    assert call.session_joinable
    for refused in (foreign, unknown):
        assert refused is not None and refused.session_state is None and not refused.session_joinable
    assert fresh is not None and fresh.session_joinable and fresh.participant_id is None

    async with db.begin() as s:
        ended = await sessions.get_session(s, mine)
        ended.end(Outcome.PHONE, NOW)
        await sessions.save_session(s, ended)
    async with db() as s:
        after = await grants.staff_grant(s, token, mine, NOW)
    assert after is not None and after.session_state is SessionState.ENDED and not after.session_joinable


async def test_recipient_grant_checks_secret_role_and_current_consent(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        assert account
        session_id = await _session(s, account.id)
        recipient, secret = await sessions.add_participant(s, session_id, "recipient", NOW)
        caseworker, caseworker_secret = await sessions.add_participant(s, session_id, "caseworker", NOW)
    async with db() as s:
        before = await grants.recipient_grant(s, recipient.id, secret)
        assert await grants.recipient_grant(s, recipient.id, "wrong") is None
        assert await grants.recipient_grant(s, str(uuid.uuid4()), secret) is None
        # The caseworker's participant is never a recipient, even with its own secret.
        assert await grants.recipient_grant(s, caseworker.id, caseworker_secret) is None
    assert before == grants.RecipientGrant(
        recipient.id, session_id, account.id, Admission.WAITING, SessionState.OPEN, consented=False
    )

    async with db.begin() as s:
        await consents.record_consent(
            s,
            participant_id=recipient.id,
            session_id=session_id,
            role="recipient",
            now=NOW,
            text_version="2",
            text_sha256="0" * 64,
            language="de",
            scopes=ALL_SCOPES,
        )
        await sessions.set_admission(s, recipient.id, Admission.ADMITTED)
    async with db() as s:
        given = await grants.recipient_grant(s, recipient.id, secret)
    assert given is not None and given.consented and given.admission is Admission.ADMITTED

    async with db.begin() as s:
        await consents.withdraw_consent(s, recipient.id, NOW + timedelta(minutes=5))
    async with db() as s:
        withdrawn = await grants.recipient_grant(s, recipient.id, secret)
    assert withdrawn is not None and not withdrawn.consented


async def test_each_grant_read_is_one_indexed_query_and_the_revocation_table_is_gone(db) -> None:  # type: ignore[no-untyped-def]
    """The connect's one read finds every row by an index (migration 0016 adds none: these
    exist since 0001), and the signalling passes' table was dropped."""
    from sqlalchemy import inspect as sa_inspect

    def read(sync_conn):  # type: ignore[no-untyped-def]
        found = sa_inspect(sync_conn)
        indexed = {
            table: {tuple(i["column_names"]) for i in found.get_indexes(table)}
            | {tuple(found.get_pk_constraint(table)["constrained_columns"])}
            for table in ("login_sessions", "users", "counsel_sessions", "participants", "consent_records")
        }
        return indexed, found.get_table_names()

    async with db() as s:
        conn = await s.connection()
        indexed, tables = await conn.run_sync(read)
    assert ("token_hash",) in indexed["login_sessions"]
    assert ("id",) in indexed["users"] and ("id",) in indexed["counsel_sessions"]
    assert ("id",) in indexed["participants"] and ("session_id",) in indexed["participants"]
    assert ("participant_id",) in indexed["consent_records"]
    assert "pass_revocations" not in tables
