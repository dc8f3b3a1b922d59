"""Tables of feedback: tokens, offers, responses, ratings and the ballot box."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Unordered, UTCDateTime


class FeedbackTokenRow(Base):
    """A one-time feedback link: only the SHA-256 of the token, and the context to copy."""

    __tablename__ = "feedback_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    benefit_group: Mapped[str] = mapped_column(String(8))
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))
    # A whole day (midnight UTC), never derived from a session's times; a spent token is deleted.
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = {"sqlite_with_rowid": False}


class FeedbackOfferRow(Base):
    """Marks that a participant got a feedback link; says nothing about which one."""

    __tablename__ = "feedback_offers"

    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)


class AnswerContext:
    """What an answer or rating carries besides itself: group, office, channel, month
    (no session, participant, caseworker or time)."""

    benefit_group: Mapped[str] = mapped_column(String(8), index=True)
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))


class FeedbackResponseRow(Unordered, AnswerContext, Base):
    __tablename__ = "feedback_responses"

    questionnaire_version: Mapped[str] = mapped_column(String(8))
    recommend: Mapped[str] = mapped_column(String(16))
    next_by_video: Mapped[str] = mapped_column(String(16))
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    technical_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    device: Mapped[str] = mapped_column(String(16))
    setup_help: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    why_not_video: Mapped[str | None] = mapped_column(String(24), nullable=True)
    why_not_recommend: Mapped[str | None] = mapped_column(String(24), nullable=True)


class CaseworkerRatingRow(Unordered, AnswerContext, Base):
    __tablename__ = "caseworker_ratings"

    effort: Mapped[int] = mapped_column(Integer)
    technical_quality: Mapped[int] = mapped_column(Integer)


class RatingMarkerRow(Base):
    """Marks that a session was rated; holds no answer."""

    __tablename__ = "caseworker_rating_markers"

    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), primary_key=True)


class FeedbackBallotRow(Unordered, Base):
    """An answer or caseworker rating waiting for the mover; ``payload`` is JSON."""

    __tablename__ = "feedback_ballots"

    kind: Mapped[str] = mapped_column(String(8))  # "response" or "rating"
    payload: Mapped[str] = mapped_column(Text)


class FeedbackBookingOfferRow(Base):
    """Marks that a phone or in-person appointment got its one feedback link or code."""

    __tablename__ = "feedback_booking_offers"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)


class FeedbackOfferCountRow(Base):
    """How many feedback links were offered per group x channel x office x month."""

    __tablename__ = "feedback_offer_counts"

    benefit_group: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    office_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no office
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    offers: Mapped[int] = mapped_column(Integer)
