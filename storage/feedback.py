"""Feedback tokens and offers, and reading the unlinkable responses and caseworker ratings.

A token row never names a session or participant, the offer marker never names a token,
and a spent token is deleted (``storage.ballots.submit_response``), never flagged. Answers
reach ``feedback_responses`` only through the ballot box (``storage.ballots``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import TokenExpired, TokenInvalid
from feedback.export import ResponseRecord
from feedback.questionnaire import VERSION, Answers
from feedback.tokens import FeedbackContext, expiry_day, hash_token, month_of, new_short_code, new_token
from storage.models import (
    BookingRow,
    CaseworkerRatingRow,
    FeedbackBookingOfferRow,
    FeedbackOfferCountRow,
    FeedbackOfferRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
    Office,
    RatingMarkerRow,
)
from storage.rows import from_row

__all__ = [
    "StoredResponse",
    "offer_token",
    "offer_booking_token",
    "was_offered",
    "booking_was_offered",
    "booking_context",
    "token_context",
    "was_rated",
    "records",
    "responses",
    "offices",
]


@dataclass(frozen=True)
class StoredResponse:
    context: FeedbackContext
    answers: Answers
    version: str = VERSION


def _context(row: FeedbackTokenRow | FeedbackResponseRow | CaseworkerRatingRow) -> FeedbackContext:
    return FeedbackContext(row.benefit_group, row.office_id, row.channel, row.month)


async def was_offered(db: AsyncSession, participant_id: str) -> bool:
    return await db.get(FeedbackOfferRow, participant_id) is not None


async def _count_offer(db: AsyncSession, context: FeedbackContext) -> None:
    """One more offer in the context's aggregate counter (no person, no time in it)."""
    key = (context.group, context.channel, context.office_id or 0, context.month)
    changed = await db.execute(
        update(FeedbackOfferCountRow)
        .where(
            FeedbackOfferCountRow.benefit_group == key[0],
            FeedbackOfferCountRow.channel == key[1],
            FeedbackOfferCountRow.office_key == key[2],
            FeedbackOfferCountRow.month == key[3],
        )
        .values(offers=FeedbackOfferCountRow.offers + 1)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        db.add(FeedbackOfferCountRow(benefit_group=key[0], channel=key[1], office_key=key[2], month=key[3], offers=1))


def _token_row(digest: str, context: FeedbackContext, now: datetime) -> FeedbackTokenRow:
    return FeedbackTokenRow(
        token_hash=digest,
        benefit_group=context.group,
        office_id=context.office_id,
        channel=context.channel,
        month=context.month,
        valid_until=expiry_day(now),
    )


async def offer_token(db: AsyncSession, participant_id: str, context: FeedbackContext, now: datetime) -> str | None:
    """Mint the participant's one feedback token; None if it got one already."""
    if await was_offered(db, participant_id):
        return None
    return await _offer(db, FeedbackOfferRow(participant_id=participant_id), new_token(), context, now)


async def _offer(
    db: AsyncSession,
    marker: FeedbackOfferRow | FeedbackBookingOfferRow,
    minted: tuple[str, str],
    context: FeedbackContext,
    now: datetime,
) -> str | None:
    """Store the marker (one token per participant or appointment) and the token's hash;
    None if a second page load won the race."""
    token, digest = minted
    try:
        async with db.begin_nested():
            db.add(marker)
            db.add(_token_row(digest, context, now))
            await db.flush()
            await _count_offer(db, context)
    except IntegrityError:
        return None
    return token


async def booking_context(db: AsyncSession, booking_id: str) -> FeedbackContext | None:
    """What an answer about a held phone or in-person appointment may carry; None unless
    the caseworker marked it done."""
    row = await db.get(BookingRow, booking_id)
    if row is None or row.status != "done" or row.benefit_group is None:
        return None
    if row.channel not in ("phone", "in_person"):
        return None
    return FeedbackContext(row.benefit_group, row.office_id, row.channel, month_of(row.starts_at))


async def booking_was_offered(db: AsyncSession, booking_id: str) -> bool:
    return await db.get(FeedbackBookingOfferRow, booking_id) is not None


async def offer_booking_token(
    db: AsyncSession, booking_id: str, context: FeedbackContext, now: datetime, *, short: bool = False
) -> str | None:
    """The one token of a held phone or in-person appointment: a link token, or a short
    code for the printed card; None if the appointment got its token already."""
    if await booking_was_offered(db, booking_id):
        return None
    minted = new_short_code() if short else new_token()
    return await _offer(db, FeedbackBookingOfferRow(booking_id=booking_id), minted, context, now)


async def token_context(db: AsyncSession, token: str, now: datetime) -> FeedbackContext:
    """The context of a usable token; raise TokenInvalid (unknown, forged or already used:
    a used token is deleted) or TokenExpired."""
    row = await db.get(FeedbackTokenRow, hash_token(token))
    if row is None:
        raise TokenInvalid()
    if row.valid_until <= now:
        raise TokenExpired()
    return _context(row)


async def was_rated(db: AsyncSession, session_id: str) -> bool:
    return await db.get(RatingMarkerRow, session_id) is not None


def _filters(
    model: type[FeedbackResponseRow] | type[CaseworkerRatingRow],
    group: str | tuple[str, ...],
    office_id: int | None,
    month: str | None,
) -> list[object]:
    groups = (group,) if isinstance(group, str) else group
    conditions: list[object] = [model.benefit_group.in_(groups)]
    if office_id is not None:
        conditions.append(model.office_id == office_id)
    if month:
        conditions.append(model.month == month)
    return conditions


async def responses(
    db: AsyncSession, group: str | tuple[str, ...], *, office_id: int | None = None, month: str | None = None
) -> list[StoredResponse]:
    """The answers of one group, or of several read at once (each keeps its group in ``context``)."""
    rows = await db.scalars(
        select(FeedbackResponseRow).where(*_filters(FeedbackResponseRow, group, office_id, month))  # type: ignore[arg-type]
    )
    return [StoredResponse(_context(r), from_row(Answers, r), r.questionnaire_version) for r in rows]


def records(stored: list[StoredResponse]) -> list[ResponseRecord]:
    """What the record-level export may see of each answer (it anonymises them further)."""
    return [
        ResponseRecord(item.context.office_id, item.context.month, item.context.channel, item.version, item.answers)
        for item in stored
    ]


async def offices(db: AsyncSession) -> list[tuple[int, str]]:
    rows = await db.execute(select(Office.id, Office.name).order_by(Office.name))
    return [(int(i), str(n)) for i, n in rows]
