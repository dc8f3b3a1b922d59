"""A booked appointment and its life: booked → done | no-show | cancelled."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from booking.errors import BookingClosed
from rooms.session import Outcome

__all__ = ["Channel", "Status", "Appointment", "BookingRequest"]


class Channel(enum.StrEnum):
    PHONE = "phone"
    IN_PERSON = "in_person"


class Status(enum.StrEnum):
    BOOKED = "booked"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


@dataclass
class Appointment:
    """One phone or in-person appointment that replaces a video session."""

    id: str
    caseworker_id: int
    channel: Channel
    starts_at: datetime
    ends_at: datetime
    status: Status
    session_id: str | None = None
    office_id: int | None = None
    phone: str | None = None

    def cancel(self) -> None:
        """Frees the slot; the phone number is no longer needed."""
        self._close(Status.CANCELLED)
        self.phone = None

    def complete(self, status: Status) -> Outcome:
        """Mark done or no-show; return the session outcome this means."""
        if status not in (Status.DONE, Status.NO_SHOW):
            raise BookingClosed(status)
        self._close(status)
        if status is Status.NO_SHOW:
            return Outcome.NO_SHOW
        return Outcome.PHONE if self.channel is Channel.PHONE else Outcome.IN_PERSON

    def _close(self, status: Status) -> None:
        if self.status is not Status.BOOKED:
            raise BookingClosed(self.status)
        self.status = status


@dataclass(frozen=True)
class BookingRequest:
    """What a person asks for; the database decides whether they get it."""

    caseworker_id: int
    channel: Channel
    starts_at: datetime
    idempotency_key: str
    session_id: str | None = None
    participant_id: str | None = None
    office_id: int | None = None
    group: str | None = None
    phone: str | None = None
