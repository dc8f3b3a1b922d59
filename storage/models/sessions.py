"""Tables of counselling sessions, their participants and what happens in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Unordered, UTCDateTime


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


class CheckVerdictRow(Unordered, Base):
    """One pre-call check's anonymous result: no session, participant, time or address."""

    __tablename__ = "check_verdicts"

    device_class: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    # None for the standalone check (no invitation, so no group).
    benefit_group: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    month: Mapped[str] = mapped_column(String(7))


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
