"""Storage against real SQLite and real PostgreSQL (each test in its own schema)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from consent.records import ALL_SCOPES
from rooms.errors import SessionNotFound
from rooms.session import Admission, BenefitGroup, CounselSession, Outcome, SessionState
from storage import consents, sessions, users
from storage.db import create_engine, migrate
from storage.models import User
from tests.conftest import CHEAP_ARGON2, PASSWORD, TEST_PASSWORDS

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


async def test_migration_is_idempotent_and_complete(settings) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        await migrate(engine)  # a second run changes nothing
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"users", "counsel_sessions", "participants", "consent_records", "audit_log"} <= tables


async def test_passwords_are_argon2_and_checked(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        assert await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD) is not None
        assert await users.authenticate(s, TEST_PASSWORDS, "FachKraft ", PASSWORD) is not None
        assert await users.authenticate(s, TEST_PASSWORDS, "fachkraft", "nope") is None
        assert await users.authenticate(s, TEST_PASSWORDS, "nobody", PASSWORD) is None
    async with db() as s:
        hashes = (await s.scalars(select(User.password_hash))).all()
    assert hashes and all(h.startswith("$argon2id$v=19$m=8,t=1,p=1$") for h in hashes)  # the tests' cost


def test_production_hashes_keep_argon2_cffi_default_cost(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from web.passwords import passwords_for
    from web.settings import Settings

    default = Settings(instance_path=tmp_path, database_url="sqlite+aiosqlite://")
    assert (default.argon2_time_cost, default.argon2_memory_kib, default.argon2_parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert passwords_for(default).hash("x" * 12).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords_for(replace(default, **CHEAP_ARGON2)).hash("x" * 12).startswith("$argon2id$v=19$m=8,t=1,p=1$")
    with pytest.raises(ValueError):
        replace(default, argon2_memory_kib=4)
    with pytest.raises(ValueError):
        replace(default, argon2_time_cost=0)


async def test_duplicate_username_is_refused_and_nothing_lost(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError):
        async with db.begin() as s:
            await users.create_user(
                s, TEST_PASSWORDS, "fachkraft", "x" * 12, display_name="Dup", role="caseworker", now=NOW
            )
    async with db() as s:
        assert await users.count_users(s) == 2
        assert await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD) is not None


async def test_session_round_trip_keeps_aware_utc_times(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        assert account
        session = CounselSession(
            id=str(uuid.uuid4()),
            caseworker_id=account.id,
            group=BenefitGroup.SGB3,
            language="en",
            invitation_jti=str(uuid.uuid4()),
            created_at=NOW,
            scheduled_at=NOW + timedelta(days=1),
        )
        await sessions.add_session(s, session)
    async with db.begin() as s:
        loaded = await sessions.get_session(s, session.id, for_update=True)
        assert loaded.scheduled_at == NOW + timedelta(days=1)
        assert loaded.scheduled_at.tzinfo is not None
        assert loaded.group is BenefitGroup.SGB3
        loaded.admit()
        loaded.end(Outcome.VIDEO, NOW + timedelta(hours=1))
        await sessions.save_session(s, loaded)
    async with db() as s:
        final = await sessions.get_session(s, session.id)
        assert final.state is SessionState.ENDED and final.outcome is Outcome.VIDEO
        assert await sessions.open_sessions_of(s, account.id) == []
        with pytest.raises(SessionNotFound):
            await sessions.get_session(s, str(uuid.uuid4()))


async def test_participants_and_consent(db) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        assert account
        session_id = str(uuid.uuid4())
        await sessions.add_session(
            s,
            CounselSession(
                id=session_id,
                caseworker_id=account.id,
                group=BenefitGroup.SGB2,
                language="de",
                invitation_jti=str(uuid.uuid4()),
                created_at=NOW,
            ),
        )
        participant, secret = await sessions.add_participant(s, session_id, "recipient", NOW)
    async with db.begin() as s:
        assert await sessions.find_participant(s, participant.id, secret) == participant
        assert await sessions.find_participant(s, participant.id, secret + "x") is None
        await sessions.set_admission(s, participant.id, Admission.ADMITTED)
        record = await consents.record_consent(
            s,
            participant_id=participant.id,
            session_id=session_id,
            role="recipient",
            now=NOW,
            text_version="1",
            text_sha256="a" * 64,
            language="de",
            scopes=ALL_SCOPES,
        )
    async with db.begin() as s:
        assert (await consents.current_consent(s, participant.id)) == record
        assert await consents.withdraw_consent(s, participant.id, NOW + timedelta(minutes=5)) == 1
    async with db() as s:
        assert await consents.current_consent(s, participant.id) is None
        by_participant = await consents.consents_of_session(s, session_id)
        assert by_participant[participant.id].withdrawn_at == NOW + timedelta(minutes=5)
        assert (await sessions.get_participant(s, participant.id)).admission is Admission.ADMITTED  # type: ignore[union-attr]


async def test_login_throttle_locks_after_five_failures(db) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        async with db.begin() as s:
            assert await users.throttle_locked_until(s, "fachkraft", NOW) is None
            await users.record_login_failure(s, "fachkraft", NOW + timedelta(seconds=i))
    async with db.begin() as s:
        assert await users.throttle_locked_until(s, "fachkraft", NOW + timedelta(minutes=1))
        assert await users.throttle_locked_until(s, "fachkraft", NOW + timedelta(minutes=20)) is None
