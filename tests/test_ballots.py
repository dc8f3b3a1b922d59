"""Unlinkability against the database administrator, on SQLite and PostgreSQL.

Answers are given through the real app; then the tests read the storage the way an
administrator can (system columns, raw pages, the WAL, the files) and look for anything
that ties an answer to its token, offer marker, session or caseworker.
"""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from feedback.tokens import FeedbackContext, hash_token, new_token
from storage import ballots
from storage.db import create_engine, sessionmaker_for
from storage.models import (
    CaseworkerRatingRow,
    FeedbackBallotRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
)
from tests.conftest import create_session, csrf_from, login
from tests.nodes import Browser, Node
from tests.test_feedback import GOOD, ended_session, feedback_link, open_form
from web.keys import BALLOTS, DB, ENGINE
from web.settings import Settings

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.timeout(180)]

ANSWERS = 8


async def _answer(app, client, new_client, i: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """One recipient answers through the app; (session id, token) — the comment marks the answer."""
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    html = await open_form(recipient, link)
    data = {**GOOD, "comment": f"answer-marker-{i:02d}", "csrf_token": csrf_from(html)}
    resp = await recipient.post("/feedback", data=data, allow_redirects=False)
    assert resp.status == 303
    return session_id, link.rsplit("/", 1)[1]


async def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_answers_wait_for_k_then_move_shuffled_and_unlinkable(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    mover = app[BALLOTS]
    given: list[tuple[str, str]] = []
    for i in range(4):
        given.append(await _answer(app, client, new_client, i))
    report = await mover.move_once()
    # Fewer than k = 5 wait: nothing moves, nothing is lost.
    assert report.moved == {"response": 0, "rating": 0} and report.waiting["response"] == 4
    assert await _count(app, FeedbackResponseRow) == 0
    for i in range(4, ANSWERS):
        given.append(await _answer(app, client, new_client, i))
    if app[ENGINE].dialect.name == "postgresql":
        # The probe can see a link while the answers wait: each ballot shares its xid with the
        # dead version of the token its transaction deleted (the four given since the last
        # run's scrub; the first four lost theirs already). The move must break exactly this.
        assert await _ballots_linked_to_dead_tokens(app) >= ANSWERS - 4
    report = await mover.move_once()
    assert report.moved["response"] == ANSWERS and report.waiting["response"] == 0
    assert await _count(app, FeedbackBallotRow) == 0 and await _count(app, FeedbackTokenRow) == 0
    submitted = [f"answer-marker-{i:02d}" for i in range(ANSWERS)]
    async with app[DB]() as db:
        stored = list(await db.scalars(select(FeedbackResponseRow)))
    assert sorted(r.comment for r in stored) == submitted

    sessions = [s for s, _t in given]
    tokens = [t for _s, t in given]
    if app[ENGINE].dialect.name == "postgresql":
        await _no_link_on_postgres(app, submitted, sessions, tokens)
    else:
        await _no_link_on_sqlite(app, submitted, sessions, tokens)


# ---------------------------------------------------------------------------- PostgreSQL


async def _system_columns(app) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Every row of every table with its xmin and ctid."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with app[ENGINE].connect() as conn:
        tables = [
            r[0]
            for r in await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
            )
        ]
        for table in tables:
            rows = await conn.execute(text(f'SELECT xmin::text AS xmin, ctid::text AS ctid, * FROM "{table}"'))
            found[table] = [dict(r._mapping) for r in rows]
    return found


async def _raw_pages(app, table: str) -> bytes:  # type: ignore[no-untyped-def]
    """The table's pages as the server holds them (pageinspect), dead tuples included."""
    async with app[ENGINE].connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        ext = await conn.scalar(
            text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pageinspect'")
        )
        if ext is None:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public"))
            ext = "public"
        size = int(await conn.scalar(text(f"SELECT pg_relation_size('{table}')")) or 0)
        pages = []
        for block in range(size // 8192):
            pages.append(bytes(await conn.scalar(text(f"SELECT {ext}.get_raw_page('{table}', {block})"))))
    return b"".join(pages)


async def _ballots_linked_to_dead_tokens(app) -> int:  # type: ignore[no-untyped-def]
    await _raw_pages(app, "feedback_tokens")  # makes sure pageinspect is there
    async with app[ENGINE].connect() as conn:
        ext = await conn.scalar(
            text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pageinspect'")
        )
        size = int(await conn.scalar(text("SELECT pg_relation_size('feedback_tokens')")) or 0)
        dead: set[str] = set()
        for block in range(size // 8192):
            items = await conn.execute(
                text(f"SELECT t_xmax::text FROM {ext}.heap_page_items({ext}.get_raw_page('feedback_tokens', {block}))")
            )
            dead |= {r[0] for r in items if r[0] not in (None, "0")}
        ballot_xids = {r[0] for r in await conn.execute(text("SELECT xmin::text FROM feedback_ballots"))}
    return len(ballot_xids & dead)


async def _until_scrubbed(app, needles: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    """The scrub removes every dead token and ballot. A transaction of another client of the
    same database (tests run in parallel here) can keep recently dead tuples alive through
    one VACUUM; the mover scrubs on every run, so they go at a later run: polled, bounded."""
    for _attempt in range(30):
        raw = b"".join([await _raw_pages(app, t) for t in ("feedback_tokens", "feedback_ballots")])
        if not any(needle in raw for needle in needles):
            return
        await asyncio.sleep(1)
        await ballots.scrub(app[ENGINE])
    raise AssertionError("dead tokens or ballots survived every scrub")


async def _no_link_on_postgres(app, submitted: list[str], sessions: list[str], tokens: list[str]) -> None:  # type: ignore[no-untyped-def]
    rows = await _system_columns(app)
    answers = rows["feedback_responses"]
    # Transaction ids: the whole batch shares the mover's xid, and no other row anywhere has it.
    batch_xids = {r["xmin"] for r in answers}
    assert len(batch_xids) == 1
    for table, table_rows in rows.items():
        if table == "feedback_responses":
            continue
        assert not batch_xids & {r["xmin"] for r in table_rows}, table
    # The offer markers (one per participant) share their xid with nothing in the results.
    offers = {r["xmin"] for r in rows["feedback_offers"]}
    assert len(offers) == ANSWERS and not offers & batch_xids
    # Physical order: within the batch it is shuffled, not the order of submission.
    by_ctid = sorted(answers, key=lambda r: tuple(int(x) for x in r["ctid"].strip("()").split(",")))
    assert [r["comment"] for r in by_ctid] != submitted
    # Dead tuples: the deleted tokens and ballots left nothing in their tables' pages.
    await _until_scrubbed(app, [b"answer-marker"] + [hash_token(t).encode() for t in tokens])
    # Derived times: nothing left holds an expiry computed from a session's end.
    assert {r["id"] for r in rows["counsel_sessions"]} >= set(sessions)
    for row in rows["feedback_tokens"]:
        moment = row["valid_until"]
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


# ---------------------------------------------------------------------------- SQLite


def _wal_commits(wal: bytes) -> list[bytes]:
    """The WAL's frames grouped by commit (a frame with a non-zero "size after commit" ends one)."""
    if len(wal) < 32:
        return []
    page_size = struct.unpack(">I", wal[8:12])[0]
    commits, current, offset = [], [], 32
    while offset + 24 + page_size <= len(wal):
        header = wal[offset : offset + 24]
        current.append(wal[offset + 24 : offset + 24 + page_size])
        if struct.unpack(">I", header[4:8])[0]:
            commits.append(b"".join(current))
            current = []
        offset += 24 + page_size
    return commits


async def _no_link_on_sqlite(app, submitted: list[str], sessions: list[str], tokens: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = Path(app[ENGINE].url.database)
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes()
    wal_bytes = wal.read_bytes() if wal.exists() else b""
    # The WAL was truncated after the move: no commit groups the flip of a token with an answer.
    for commit in _wal_commits(wal_bytes):
        has_answer = b"answer-marker" in commit
        has_person = any(s.encode() in commit for s in sessions) or any(
            hash_token(t).encode() in commit for t in tokens
        )
        assert not (has_answer and has_person)
    assert not any(b"answer-marker" in c for c in _wal_commits(wal_bytes))
    # Deleted tokens and ballots were zeroed (secure_delete): not in the file, nor in the WAL.
    for token in tokens:
        digest = hash_token(token).encode()
        assert digest not in data and digest not in wal_bytes
    assert b'"comment": "answer-marker' not in data + wal_bytes  # the ballots' JSON is gone
    # Storage order: WITHOUT ROWID, rows sit in the order of their random ids.
    async with app[DB]() as db:
        natural = list(await db.scalars(text("SELECT comment FROM feedback_responses")))
    assert natural != submitted


# ---------------------------------------------------------------------------- ratings


async def test_caseworker_ratings_move_apart_from_their_markers(app, client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    for _ in range(5):
        session_id, _ = await create_session(client, csrf)
        resp = await client.post(
            f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": csrf}, allow_redirects=False
        )
        assert resp.status == 303
        resp = await client.post(
            f"/sessions/{session_id}/rating",
            data={"effort": "2", "technical_quality": "4", "csrf_token": csrf},
            allow_redirects=False,
        )
        assert resp.status == 303
    assert await _count(app, CaseworkerRatingRow) == 0
    report = await app[BALLOTS].move_once()
    assert report.moved["rating"] == 5 and await _count(app, CaseworkerRatingRow) == 5
    if app[ENGINE].dialect.name == "postgresql":
        rows = await _system_columns(app)
        rated = {r["xmin"] for r in rows["caseworker_ratings"]}
        markers = {r["xmin"] for r in rows["caseworker_rating_markers"]}
        assert len(rated) == 1 and len(markers) == 5 and not rated & markers
        await _until_scrubbed(app, [b"technical_quality"])


# ---------------------------------------------------------------------------- kill -9


async def test_no_answer_is_lost_when_the_server_is_killed_before_the_move(settings: Settings, sqlite_only) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    db = sessionmaker_for(engine)
    tokens = []
    async with db.begin() as session:
        for _ in range(5):
            token, digest = new_token()
            context = FeedbackContext("sgb2", None, "video", "2026-11")
            session.add(
                FeedbackTokenRow(
                    token_hash=digest,
                    benefit_group=context.group,
                    office_id=None,
                    channel=context.channel,
                    month=context.month,
                    valid_until=datetime(2099, 1, 1, tzinfo=UTC),
                )
            )
            tokens.append(token)
    node = Node("a", settings, "", "unused")
    node.env["BALLOT_INTERVAL_SECONDS"] = "0"  # no mover: the process dies between submit and move
    await node.start()
    try:
        for i, token in enumerate(tokens):
            browser = Browser(node.url)
            try:
                async with browser.get(f"/feedback/t/{token}", allow_redirects=False) as resp:
                    assert resp.status == 303
                async with browser.get("/feedback") as resp:
                    html = await resp.text()
                data = {**GOOD, "comment": f"killed-{i}", "csrf_token": csrf_from(html)}
                async with browser.post("/feedback", data=data, allow_redirects=False) as resp:
                    assert resp.status == 303
            finally:
                await browser.close()
        node.kill()
        await node.wait_exit(30)
    finally:
        await node.stop()
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(FeedbackBallotRow)) == 5
        assert await session.scalar(select(func.count()).select_from(FeedbackTokenRow)) == 0
    report = await ballots.move(db)
    assert report.moved["response"] == 5
    async with db() as session:
        comments = sorted(await session.scalars(select(FeedbackResponseRow.comment)))
    assert comments == [f"killed-{i}" for i in range(5)]
    await engine.dispose()
