"""Feedback tokens, unlinkable responses and caseworker ratings.

A response row is written in the same transaction that marks its token used; the token
row never names a session or participant, the offer marker never names a token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.errors import AlreadyRated, TokenExpired, TokenInvalid, TokenUsed
from feedback.months import month_bounds
from feedback.questionnaire import VERSION, Answers, Rating
from feedback.report import GroupReport, build_report
from feedback.tokens import TOKEN_LIFETIME, FeedbackContext, hash_token, new_token
from storage.models import (
    CaseworkerRatingRow,
    CounselSessionRow,
    FeedbackOfferRow,
    FeedbackResponseRow,
    FeedbackTokenRow,
    Office,
    RatingMarkerRow,
)

__all__ = [
    "StoredResponse",
    "offer_token",
    "was_offered",
    "token_context",
    "submit_response",
    "record_rating",
    "was_rated",
    "responses",
    "ratings",
    "session_outcomes",
    "group_report",
    "offices",
]


@dataclass(frozen=True)
class StoredResponse:
    context: FeedbackContext
    answers: Answers


def _context(row: FeedbackTokenRow | FeedbackResponseRow | CaseworkerRatingRow) -> FeedbackContext:
    return FeedbackContext(row.benefit_group, row.office_id, row.channel, row.month)


async def was_offered(db: AsyncSession, participant_id: str) -> bool:
    return await db.get(FeedbackOfferRow, participant_id) is not None


async def offer_token(db: AsyncSession, participant_id: str, context: FeedbackContext, now: datetime) -> str | None:
    """Mint the participant's one feedback token; None if it got one already."""
    if await was_offered(db, participant_id):
        return None
    token, digest = new_token()
    try:
        async with db.begin_nested():
            db.add(FeedbackOfferRow(participant_id=participant_id))
            db.add(
                FeedbackTokenRow(
                    token_hash=digest,
                    benefit_group=context.group,
                    office_id=context.office_id,
                    channel=context.channel,
                    month=context.month,
                    valid_until=now + TOKEN_LIFETIME,
                    used=False,
                )
            )
    except IntegrityError:  # a second page load won the race
        return None
    return token


async def token_context(db: AsyncSession, token: str, now: datetime) -> FeedbackContext:
    """The context of a usable token; raise TokenInvalid, TokenUsed or TokenExpired."""
    row = await db.get(FeedbackTokenRow, hash_token(token))
    if row is None:
        raise TokenInvalid()
    if row.used:
        raise TokenUsed()
    if row.valid_until <= now:
        raise TokenExpired()
    return _context(row)


async def submit_response(db: AsyncSession, token: str, answers: Answers, now: datetime) -> None:
    """Use the token up and store the answers, both or neither (call inside a transaction)."""
    digest = hash_token(token)
    result = await db.execute(
        update(FeedbackTokenRow)
        .where(
            FeedbackTokenRow.token_hash == digest,
            FeedbackTokenRow.used.is_(False),
            FeedbackTokenRow.valid_until > now,
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await token_context(db, token, now)  # raises the precise reason
        raise TokenUsed()
    row = await db.get(FeedbackTokenRow, digest)
    assert row is not None
    await db.refresh(row)
    db.add(
        FeedbackResponseRow(
            id=str(uuid.uuid4()),
            benefit_group=row.benefit_group,
            office_id=row.office_id,
            channel=row.channel,
            month=row.month,
            questionnaire_version=VERSION,
            **answers.as_dict(),
        )
    )
    await db.flush()


async def was_rated(db: AsyncSession, session_id: str) -> bool:
    return await db.get(RatingMarkerRow, session_id) is not None


async def record_rating(db: AsyncSession, session_id: str, context: FeedbackContext, rating: Rating) -> None:
    """Store the caseworker's rating once per session; the marker holds no answer."""
    if await was_rated(db, session_id):
        raise AlreadyRated()
    try:
        async with db.begin_nested():
            db.add(RatingMarkerRow(session_id=session_id))
            db.add(
                CaseworkerRatingRow(
                    id=str(uuid.uuid4()),
                    benefit_group=context.group,
                    office_id=context.office_id,
                    channel=context.channel,
                    month=context.month,
                    effort=rating.effort,
                    technical_quality=rating.technical_quality,
                )
            )
    except IntegrityError as exc:
        raise AlreadyRated() from exc


def _filters(
    model: type[FeedbackResponseRow] | type[CaseworkerRatingRow],
    group: str,
    office_id: int | None,
    month: str | None,
) -> list[object]:
    conditions: list[object] = [model.benefit_group == group]
    if office_id is not None:
        conditions.append(model.office_id == office_id)
    if month:
        conditions.append(model.month == month)
    return conditions


async def responses(
    db: AsyncSession, group: str, *, office_id: int | None = None, month: str | None = None
) -> list[StoredResponse]:
    rows = await db.scalars(
        select(FeedbackResponseRow).where(*_filters(FeedbackResponseRow, group, office_id, month))  # type: ignore[arg-type]
    )
    return [
        StoredResponse(
            _context(r),
            Answers(
                recommend=r.recommend,
                next_by_video=r.next_by_video,
                satisfaction=r.satisfaction,
                technical_quality=r.technical_quality,
                device=r.device,
                setup_help=r.setup_help,
                comment=r.comment,
            ),
        )
        for r in rows
    ]


async def ratings(
    db: AsyncSession, group: str, *, office_id: int | None = None, month: str | None = None
) -> list[Rating]:
    rows = await db.scalars(
        select(CaseworkerRatingRow).where(*_filters(CaseworkerRatingRow, group, office_id, month))  # type: ignore[arg-type]
    )
    return [Rating(r.effort, r.technical_quality) for r in rows]


async def session_outcomes(
    db: AsyncSession,
    group: str,
    *,
    office_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[str]:
    """The outcomes of the group's ended sessions (ended in [since, until) when given)."""
    stmt = select(CounselSessionRow.outcome).where(
        CounselSessionRow.benefit_group == group, CounselSessionRow.outcome.is_not(None)
    )
    if office_id is not None:
        stmt = stmt.where(CounselSessionRow.office_id == office_id)
    if since is not None:
        stmt = stmt.where(CounselSessionRow.ended_at >= since)
    if until is not None:
        stmt = stmt.where(CounselSessionRow.ended_at < until)
    return [str(o) for o in await db.scalars(stmt)]


async def group_report(
    db: AsyncSession, group: str, *, office_id: int | None = None, month: str | None = None
) -> GroupReport:
    """The evaluation of one group, filtered by office and month."""
    since, until = month_bounds(month) if month else (None, None)
    answers = [r.answers for r in await responses(db, group, office_id=office_id, month=month)]
    rated = await ratings(db, group, office_id=office_id, month=month)
    outcomes = await session_outcomes(db, group, office_id=office_id, since=since, until=until)
    return build_report(group, answers, rated, outcomes)


async def offices(db: AsyncSession) -> list[tuple[int, str]]:
    rows = await db.execute(select(Office.id, Office.name).order_by(Office.name))
    return [(int(i), str(n)) for i, n in rows]
