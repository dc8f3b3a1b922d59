"""The ballot box: answers and caseworker ratings wait here, then move in shuffled batches.

Why: the transaction that uses up a token (or sets a rating marker) would otherwise also
write the answer, and a database administrator could join them by transaction id
(PostgreSQL ``xmin``), by commit (the SQLite WAL), by physical order (``ctid``) or by time.

- ``submit_response`` deletes the token (never flags it) and drops the answer into
  ``feedback_ballots``, in one transaction: both or neither, durable at commit.
- ``record_rating`` sets the session's marker and drops the rating into the box.
- ``move`` takes every waiting ballot of a kind, but only when at least ``k`` wait, and
  inserts them into the results in random order, with new random ids, in one transaction
  that deletes the ballots: every moved row shares that transaction's id with at least
  ``k - 1`` others, and the physical order within a batch is random.
- ``scrub`` then removes what the deleted rows left behind: PostgreSQL ``VACUUM (FULL)`` of
  the ballot and token tables (dead tuples carry ``xmin``/``xmax``); SQLite zeroes deleted
  content (``secure_delete``, set on every connection) and truncates the WAL.

A round is ``application.ballot_box.MoveBallots``; when rounds run is decided by
``web.ballot_mover.BallotMover`` (periodic, at random intervals, independent of submissions).
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from feedback.errors import AlreadyRated, TokenUsed
from feedback.questionnaire import VERSION, Answers, Rating
from feedback.tokens import FeedbackContext, hash_token
from storage.models import (
    CaseworkerRatingRow,
    FeedbackBallotRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
    RatingMarkerRow,
)

__all__ = ["MIN_BATCH", "KINDS", "MoveReport", "submit_response", "record_rating", "waiting", "move", "scrub"]

logger = logging.getLogger(__name__)

MIN_BATCH = 5
KINDS = ("response", "rating")


@dataclass
class MoveReport:
    """Counts only: how many ballots of each kind moved, and how many still wait."""

    moved: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)


def _context_dict(context: FeedbackContext) -> dict[str, Any]:
    return {
        "benefit_group": context.group,
        "office_id": context.office_id,
        "channel": context.channel,
        "month": context.month,
    }


async def submit_response(db: AsyncSession, token: str, answers: Answers, now: datetime) -> None:
    """Delete the token and drop the answer into the ballot box (call inside a transaction).

    Raises ``TokenUsed`` when the token is gone or expired by now (a concurrent submit won).
    """
    digest = hash_token(token)
    row = await db.get(FeedbackTokenRow, digest, with_for_update=True)
    if row is None or row.valid_until <= now:
        raise TokenUsed()
    context = FeedbackContext(row.benefit_group, row.office_id, row.channel, row.month)
    deleted = await db.execute(
        delete(FeedbackTokenRow)
        .where(FeedbackTokenRow.token_hash == digest)
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenUsed()
    db.expunge(row)
    payload = {**_context_dict(context), "questionnaire_version": VERSION, **answers.as_dict()}
    db.add(FeedbackBallotRow(id=str(uuid.uuid4()), kind="response", payload=json.dumps(payload)))
    await db.flush()


async def record_rating(db: AsyncSession, session_id: str, context: FeedbackContext, rating: Rating) -> None:
    """Set the session's marker (it holds no answer) and drop the rating into the box."""
    if await db.get(RatingMarkerRow, session_id) is not None:
        raise AlreadyRated()
    payload = {**_context_dict(context), "effort": rating.effort, "technical_quality": rating.technical_quality}
    try:
        async with db.begin_nested():
            db.add(RatingMarkerRow(session_id=session_id))
            db.add(FeedbackBallotRow(id=str(uuid.uuid4()), kind="rating", payload=json.dumps(payload)))
    except IntegrityError as exc:
        raise AlreadyRated() from exc


async def waiting(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(select(FeedbackBallotRow.kind, func.count()).group_by(FeedbackBallotRow.kind))
    found = {str(kind): int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in KINDS}


def _result_row(kind: str, payload: dict[str, Any]) -> FeedbackResponseRow | CaseworkerRatingRow:
    row_id = str(uuid.uuid4())  # new: the ballot's id is never carried over
    if kind == "response":
        return FeedbackResponseRow(id=row_id, **payload)
    return CaseworkerRatingRow(id=row_id, **payload)


async def _move_kind(db: async_sessionmaker[AsyncSession], kind: str, k: int, rng: random.Random) -> int:
    async with db.begin() as session:
        # FOR UPDATE (PostgreSQL): a second node's mover waits, then finds the rows gone.
        ballots = list(
            await session.scalars(select(FeedbackBallotRow).where(FeedbackBallotRow.kind == kind).with_for_update())
        )
        if len(ballots) < k:
            return 0
        payloads = [json.loads(b.payload) for b in ballots]
        ids = [b.id for b in ballots]
        deleted = await session.execute(
            delete(FeedbackBallotRow).where(FeedbackBallotRow.id.in_(ids)).execution_options(synchronize_session=False)
        )
        if deleted.rowcount != len(ids):  # type: ignore[attr-defined]
            raise RuntimeError("ballots changed while moving; the next run retries")
        for ballot in ballots:
            session.expunge(ballot)
        rng.shuffle(payloads)
        # One row per statement, in the shuffled order: the physical order within a batch is random.
        for payload in payloads:
            session.add(_result_row(kind, payload))
            await session.flush()
    return len(payloads)


async def move(
    db: async_sessionmaker[AsyncSession], k: int = MIN_BATCH, rng: random.Random | None = None
) -> MoveReport:
    """Move every kind whose waiting ballots number at least ``k``; a smaller pile waits."""
    if k < MIN_BATCH:
        raise ValueError(f"batches of at least {MIN_BATCH}")
    rng = rng or random.SystemRandom()
    report = MoveReport()
    for kind in KINDS:
        report.moved[kind] = await _move_kind(db, kind, k, rng)
    async with db() as session:
        report.waiting = await waiting(session)
    return report


async def scrub(engine: AsyncEngine) -> None:
    """Remove the traces deleted tokens and ballots left in the storage (after a move)."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            # FULL rewrites the tables into new files: dead tuples (with their xmin/xmax and
            # content) are not copied; the tables are tiny, so the lock is short.
            await conn.execute(text("VACUUM (FULL) feedback_ballots, feedback_tokens"))
    elif engine.dialect.name == "sqlite":
        async with engine.connect() as conn:
            # Deleted cells are already zeroed (secure_delete); TRUNCATE empties the WAL, so
            # no frame says which commit touched which pages.
            busy = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
            if busy is not None and busy[0]:
                logger.info("ballot scrub: WAL checkpoint incomplete (readers); the next run retries")
