"""The retention purge: deletes, in small batches, every row whose period has ended.

Periods come from the ``RetentionPolicy``, each counting from its rule's ``from``
(``Anchor``); "now" is passed in (``Settings.clock``).
Each batch is its own transaction, so a long purge never holds locks for long and an
interrupted one loses nothing but the rest of its work. Rows hold no names; the report
holds counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings_policy import Anchor, Category, RetentionPolicy
from storage.audit import audit
from storage.erasure import checkpoint
from storage.models import (
    AttemptEventRow,
    AuditRow,
    BookingRow,
    CaseworkerRatingRow,
    CheckVerdictRow,
    ConsentRow,
    CounselSessionRow,
    FeedbackOfferCountRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
    LoginSession,
    LoginThrottle,
)

__all__ = ["BATCH", "PurgeReport", "purge"]

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass
class PurgeReport:
    """How many rows of each kind were deleted (no ids, no content)."""

    deleted: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return " ".join(f"{name}={count}" for name, count in sorted(self.deleted.items()))


async def _in_batches(db: async_sessionmaker[AsyncSession], key: Any, where: ColumnElement[bool], batch: int) -> int:
    """Delete the rows matching ``where``, ``batch`` primary keys per transaction."""
    total = 0
    while True:
        async with db.begin() as session:
            keys = list(await session.scalars(select(key).where(where).limit(batch)))
            if keys:
                await session.execute(delete(key.class_).where(key.in_(keys)))
        total += len(keys)
        if len(keys) < batch:
            return total


Due = list[tuple[str, Any, ColumnElement[bool]]]  # (what, primary key, which rows are due)


def _session_due(policy: RetentionPolicy, now: datetime) -> Due:
    session_keep = policy.retention(Category.SESSION_METADATA)
    if session_keep is None:
        return []
    cutoff = now - session_keep
    anchor = policy.anchor(Category.SESSION_METADATA)
    # Participants go with the session.
    if anchor is Anchor.CREATED:
        old_session: ColumnElement[bool] = CounselSessionRow.created_at < cutoff
    elif anchor is Anchor.APPOINTMENT:
        # A session without a scheduled time counts from its creation.
        old_session = func.coalesce(CounselSessionRow.scheduled_at, CounselSessionRow.created_at) < cutoff
    else:
        # Ended sessions count from their end; a session nobody ended counts from its
        # creation (its invitation died within hours).
        old_session = or_(
            CounselSessionRow.ended_at < cutoff,
            and_(CounselSessionRow.ended_at.is_(None), CounselSessionRow.created_at < cutoff),
        )
    # The attempt log goes with its session, and in any case once its own time is
    # past the period: never older than the period, even in a session still open.
    return [
        ("sessions", CounselSessionRow.id, old_session),
        ("attempt_events", AttemptEventRow.id, AttemptEventRow.at < cutoff),
    ]


def _feedback_cutoff(policy: RetentionPolicy, now: datetime) -> str | None:
    """Answers carry only their month (no time, by design): a month goes when all of it
    lies past the period."""
    feedback_keep = policy.retention(Category.FEEDBACK)
    return None if feedback_keep is None else (now - feedback_keep).strftime("%Y-%m")


def _feedback_due(cutoff_month: str | None) -> Due:
    if cutoff_month is None:
        return []
    return [
        ("feedback_responses", FeedbackResponseRow.id, FeedbackResponseRow.month < cutoff_month),
        ("caseworker_ratings", CaseworkerRatingRow.id, CaseworkerRatingRow.month < cutoff_month),
        # Pre-call check verdicts are anonymous evaluation data of the same kind.
        ("check_verdicts", CheckVerdictRow.id, CheckVerdictRow.month < cutoff_month),
    ]


def _booking_and_log_due(policy: RetentionPolicy, now: datetime) -> Due:
    due: Due = []
    booking_keep = policy.retention(Category.BOOKINGS_AND_PHONE_NUMBERS)
    if booking_keep is not None:
        # The phone number is needed until the appointment is over; the booking, and the
        # number with it, goes when the retention period after the appointment has passed
        # ("from = appointment"), or after the booking was made ("from = created").
        booked = (
            BookingRow.created_at
            if policy.anchor(Category.BOOKINGS_AND_PHONE_NUMBERS) is Anchor.CREATED
            else BookingRow.ends_at
        )
        due.append(("bookings", BookingRow.id, booked < now - booking_keep))
    logs_keep = policy.retention(Category.LOGS)
    if logs_keep is not None:
        log_cutoff = now - logs_keep
        due.append(("audit_log", AuditRow.id, AuditRow.at < log_cutoff))
        stale = and_(
            LoginThrottle.window_start < log_cutoff,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
        due.append(("login_throttle", LoginThrottle.key_hash, stale))
    return due


async def purge(
    db: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    now: datetime,
    *,
    batch: int = BATCH,
) -> PurgeReport:
    """Delete everything due at ``now``; write an audit entry ``purge`` with the counts."""
    report = PurgeReport()
    due = _session_due(policy, now)
    consent_keep = policy.retention(Category.CONSENT_RECORDS)
    if consent_keep is not None:
        # Only "created" is valid here (recordings_policy.ANCHORS): from when it was given.
        due.append(("consent_records", ConsentRow.id, ConsentRow.given_at < now - consent_keep))
    # An expired login session is useless at once; keeping it would only be a risk.
    due.append(("login_sessions", LoginSession.token_hash, LoginSession.expires_at <= now))
    # An expired feedback token controls nothing any more (a used one was deleted at once).
    due.append(("feedback_tokens", FeedbackTokenRow.token_hash, FeedbackTokenRow.valid_until <= now))
    cutoff_month = _feedback_cutoff(policy, now)
    due += _feedback_due(cutoff_month)
    if cutoff_month is not None:
        # The offer counters are evaluation data of the same kind (a few aggregate rows per
        # month; composite key, so deleted in one statement).
        async with db.begin() as session:
            gone = await session.execute(
                delete(FeedbackOfferCountRow).where(FeedbackOfferCountRow.month < cutoff_month)
            )
        report.deleted["feedback_offer_counts"] = int(gone.rowcount)  # type: ignore[attr-defined]
    due += _booking_and_log_due(policy, now)
    for name, key, where in due:
        report.deleted[name] = await _in_batches(db, key, where, batch)
    if any(report.deleted.values()):
        await checkpoint(db)  # nothing deleted stays readable in SQLite's write-ahead log
    async with db.begin() as session:
        await audit(session, "purge", now, report.line())
    logger.info("purge: %s", report.line())
    return report
