"""Tables of booking: schedules, hours, absences and appointments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


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
