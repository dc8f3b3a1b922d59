"""SQLAlchemy table definitions for everything the platform keeps durably."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "Office",
    "User",
    "LoginSession",
    "LoginThrottle",
    "CounselSessionRow",
    "ParticipantRow",
    "ConsentRow",
    "AuditRow",
    "FeedbackTokenRow",
    "FeedbackOfferRow",
    "FeedbackResponseRow",
    "CaseworkerRatingRow",
    "RatingMarkerRow",
    "UTCDateTime",
    "CheckVerdictRow",
    "CaseworkerScheduleRow",
    "AvailabilityHoursRow",
    "AbsenceRow",
    "BookingRow",
    "FeedbackBallotRow",
    "FeedbackBookingOfferRow",
    "FeedbackOfferCountRow",
    "PasswordLinkRow",
    "InvitationCodeRow",
    "InvitationDeliveryRow",
    "AttemptEventRow",
]


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    # JSON: {"mon": [["08:00", "12:00"]], ...}, Berlin wall-clock time.
    opening_hours: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Some Jobcenters assign the caseworker; then people book "any" free caseworker.
    allow_caseworker_choice: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class LoginSession(Base):
    """A server-side login session; logout deletes the row, so the cookie dies with it."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LoginThrottle(Base):
    """Failed-login counters keyed by a hash of the user name (no names stored)."""

    __tablename__ = "login_throttle"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CounselSessionRow(Base):
    __tablename__ = "counsel_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), nullable=True)
    benefit_group: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    invitation_jti: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)

    __table_args__ = (Index("ix_counsel_sessions_caseworker", "caseworker_id", "created_at"),)


class ParticipantRow(Base):
    """A pseudonymous participant of one session; the id means nothing outside it."""

    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admission: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Made by opening the invitation link: one per session (a second device moves it).
    via_link: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the invitation link last moved to another device ("continue on this device").
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "uq_participants_link",
            "session_id",
            unique=True,
            sqlite_where=text("via_link"),
            postgresql_where=text("via_link"),
        ),
    )


class ConsentRow(Base):
    __tablename__ = "consent_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # No foreign key: a record is proof on its own and is kept longer than its session
    # (recordings_policy/policy.toml); the purge deletes it when its own period ends.
    participant_id: Mapped[str] = mapped_column(String(36), index=True)
    session_id: Mapped[str] = mapped_column(String(36), index=True)
    role: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    text_version: Mapped[str] = mapped_column(String(32))
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    scopes: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditRow(Base):
    """Security-relevant events, never with personal data in ``detail``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


# ---- feedback: answers are unlinkable by construction ------------------------------
# No table below holds a session, participant or caseworker id next to an answer, nor a
# timestamp, IP or user agent; ids of answers are random UUIDs, never sequences.


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


class FeedbackResponseRow(Base):
    __tablename__ = "feedback_responses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, autoincrement=False)
    benefit_group: Mapped[str] = mapped_column(String(8), index=True)
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))
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

    # No hidden rowid on SQLite: rows sit in the order of their random ids, not of arrival.
    __table_args__ = {"sqlite_with_rowid": False}


class CaseworkerRatingRow(Base):
    __tablename__ = "caseworker_ratings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, autoincrement=False)
    benefit_group: Mapped[str] = mapped_column(String(8), index=True)
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))
    effort: Mapped[int] = mapped_column(Integer)
    technical_quality: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"sqlite_with_rowid": False}


class RatingMarkerRow(Base):
    """Marks that a session was rated; holds no answer."""

    __tablename__ = "caseworker_rating_markers"

    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), primary_key=True)


class CheckVerdictRow(Base):
    """One pre-call check's anonymous result: no session, participant, time or address."""

    __tablename__ = "check_verdicts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, autoincrement=False)
    device_class: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    # None for the standalone check (no invitation, so no group).
    benefit_group: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    month: Mapped[str] = mapped_column(String(7))

    __table_args__ = {"sqlite_with_rowid": False}


# ---- booking: published hours and phone / in-person appointments ----------------------


class CaseworkerScheduleRow(Base):
    """Exists once a caseworker published their own hours; until then the defaults apply."""

    __tablename__ = "caseworker_schedules"

    caseworker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer)


class AvailabilityHoursRow(Base):
    """One weekly interval, Berlin wall-clock time as ``HH:MM``."""

    __tablename__ = "availability_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))


class AbsenceRow(Base):
    """Whole days off: a caseworker's absence, or an office holiday (caseworker empty)."""

    __tablename__ = "availability_absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), nullable=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date, index=True)


ACTIVE_BOOKING = text("status <> 'cancelled'")
BOOKED_WITH_PARTICIPANT = text("status = 'booked' AND participant_id IS NOT NULL")
BOOKED_WITH_SESSION = text("status = 'booked' AND session_id IS NOT NULL")


class BookingRow(Base):
    """A phone or in-person appointment; the phone number lives only as long as the row."""

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("counsel_sessions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), nullable=True, index=True
    )
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    benefit_group: Mapped[str | None] = mapped_column(String(8), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # The database, not the code, guarantees that a slot is taken once: a partial unique
    # index over the bookings that still hold their slot (SQLite and PostgreSQL alike).
    __table_args__ = (
        Index(
            "uq_bookings_active_slot",
            "caseworker_id",
            "starts_at",
            unique=True,
            sqlite_where=ACTIVE_BOOKING,
            postgresql_where=ACTIVE_BOOKING,
        ),
        # One active booking per participant and per session, also by the database.
        Index(
            "uq_bookings_active_participant",
            "participant_id",
            unique=True,
            sqlite_where=BOOKED_WITH_PARTICIPANT,
            postgresql_where=BOOKED_WITH_PARTICIPANT,
        ),
        Index(
            "uq_bookings_active_session",
            "session_id",
            unique=True,
            sqlite_where=BOOKED_WITH_SESSION,
            postgresql_where=BOOKED_WITH_SESSION,
        ),
    )


# ---- feedback ballot box (issue 12): answers wait here, then move in shuffled batches ---


class FeedbackBallotRow(Base):
    """An answer or caseworker rating waiting for the mover; ``payload`` is JSON."""

    __tablename__ = "feedback_ballots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))  # "response" or "rating"
    payload: Mapped[str] = mapped_column(Text)

    __table_args__ = {"sqlite_with_rowid": False}


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
# ---- administration and invitations that reach people ---------------------------------


class PasswordLinkRow(Base):
    """A one-time set-password link: only the token's SHA-256 is stored."""

    __tablename__ = "password_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InvitationCodeRow(Base):
    """A short invitation code (hash only); valid while ``jti`` is the session's current one."""

    __tablename__ = "invitation_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), index=True)
    jti: Mapped[str] = mapped_column(String(36))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvitationDeliveryRow(Base):
    """That an invitation was sent by e-mail or SMS, and how it went: never the address."""

    __tablename__ = "invitation_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
# ---- the attempt log: pseudonymous call metadata, gone with the session ----------------


class AttemptEventRow(Base):
    """One step or connection event of a participant: a kind and a closed-vocabulary
    detail (``rooms.attempts``); never media, an address or a candidate string."""

    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("counsel_sessions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(32), default="")
