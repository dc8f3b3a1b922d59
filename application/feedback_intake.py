"""Feedback intake: the recipient's one-time questionnaire, the printed card's code, and
the caseworker's rating.

Every answer goes into the ballot box (``storage.ballots``), never straight into the
results; the token is used up in the transaction that stores the answer. Errors are
feedback's and booking's domain errors (``TokenInvalid``, ``TokenExpired``, ``TokenUsed``,
``AlreadyRated``, ``BookingNotFound``, ``SessionNotFound``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.calls import rating_context
from booking.errors import BookingNotFound
from feedback.errors import TokenInvalid
from feedback.questionnaire import Answers, Rating
from feedback.tokens import FeedbackContext, looks_like_token
from rooms.errors import SessionNotFound
from rooms.session import CounselSession
from storage import ballots, bookings, sessions
from storage import feedback as store

__all__ = [
    "CardOffer",
    "booking_token",
    "card_offer",
    "check_token",
    "mint_card_code",
    "offer_session_token",
    "rate_session",
    "rateable_session",
    "submit_answers",
    "was_rated",
]

Db = async_sessionmaker[AsyncSession]


async def check_token(db: Db, token: str, now: datetime) -> FeedbackContext:
    """The context of a usable token (link token or card code); ``TokenInvalid`` or
    ``TokenExpired`` otherwise."""
    if not looks_like_token(token):
        raise TokenInvalid()
    async with db() as session:
        return await store.token_context(session, token, now)


async def submit_answers(db: Db, token: str, answers: Answers, now: datetime) -> None:
    """Use the token up and drop the answers into the ballot box, in one transaction."""
    async with db.begin() as session:
        await ballots.submit_response(session, token, answers, now)


async def offer_session_token(db: Db, participant_id: str, context: FeedbackContext, now: datetime) -> str | None:
    """The participant's one feedback token (None if it got one already)."""
    async with db.begin() as session:
        return await store.offer_token(session, participant_id, context, now)


async def was_rated(db: Db, session_id: str) -> bool:
    async with db() as session:
        return await store.was_rated(session, session_id)


async def rateable_session(
    db: Db, session_id: str, caseworker_id: int
) -> tuple[CounselSession, FeedbackContext | None]:
    """The caseworker's own session and what a rating of it may carry (``SessionNotFound``
    for another caseworker's)."""
    async with db() as session:
        counsel = await sessions.get_session(session, session_id)
    if counsel.caseworker_id != caseworker_id:
        raise SessionNotFound()
    return counsel, rating_context(counsel)


async def rate_session(db: Db, session_id: str, context: FeedbackContext, rating: Rating) -> None:
    """The caseworker's rating, into the ballot box once per session (``AlreadyRated``)."""
    async with db.begin() as session:
        await ballots.record_rating(session, session_id, context, rating)


# ---- phone and in-person appointments ------------------------------------------------


async def booking_token(db: Db, booking_id: str, now: datetime) -> str | None:
    """The one link token of a held phone or in-person appointment, minted the first time
    its confirmation page is shown after "done"; None before, or once minted."""
    async with db.begin() as session:
        context = await store.booking_context(session, booking_id)
        if context is None:
            return None
        return await store.offer_booking_token(session, booking_id, context, now)


async def _own_booking(session: AsyncSession, booking_id: str, caseworker_id: int) -> str:
    appointment = await bookings.get_booking(session, booking_id)
    if appointment.caseworker_id != caseworker_id:
        raise BookingNotFound()
    return appointment.id


@dataclass(frozen=True)
class CardOffer:
    booking_id: str
    can_offer: bool
    offered: bool


async def card_offer(db: Db, booking_id: str, caseworker_id: int) -> CardOffer:
    """After "done": may the caseworker print a feedback card, or was the person offered one?"""
    async with db() as session:
        booking_id = await _own_booking(session, booking_id, caseworker_id)
        context = await store.booking_context(session, booking_id)
        offered = await store.booking_was_offered(session, booking_id)
    return CardOffer(booking_id, context is not None and not offered, offered)


async def mint_card_code(db: Db, booking_id: str, caseworker_id: int, now: datetime) -> tuple[str, str | None]:
    """The appointment's one short code for the printed card: shown once, only its hash is
    stored; None if it was offered already (or cannot be)."""
    async with db.begin() as session:
        booking_id = await _own_booking(session, booking_id, caseworker_id)
        context = await store.booking_context(session, booking_id)
        if context is None:
            return booking_id, None
        return booking_id, await store.offer_booking_token(session, booking_id, context, now, short=True)
