"""Errors of the booking domain.

BookingError
├── SlotUnavailable          the chosen time cannot be booked
│   ├── SlotTaken            someone else was faster; carries the next free times
│   ├── SlotInPast
│   └── OutsideAvailability  not a slot of the published hours
├── InvalidPhone             not a dialable number (German default region)
├── InvalidHours             weekly hours or an absence that make no sense
├── InvalidOffice            an office's name, address, phone, hours or holiday; ``reason`` says which
├── ChoiceNotAllowed         the office does not let people pick a caseworker
├── BookingNotFound
├── BookingClosed            cancelled, done or no-show: nothing more to change
└── LinkError                the cancel/reschedule link cannot be used
    ├── LinkExpired
    └── LinkInvalid          altered, forged, malformed
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

__all__ = [
    "BookingError",
    "SlotUnavailable",
    "SlotTaken",
    "SlotInPast",
    "OutsideAvailability",
    "InvalidPhone",
    "InvalidHours",
    "InvalidOffice",
    "ChoiceNotAllowed",
    "BookingNotFound",
    "BookingClosed",
    "LinkError",
    "LinkExpired",
    "LinkInvalid",
]


class BookingError(Exception):
    """Root of every booking error."""

    code: ClassVar[str] = "bad_request"


class SlotUnavailable(BookingError):
    code: ClassVar[str] = "slot_unavailable"

    def __init__(self, alternatives: list[datetime] | None = None) -> None:
        super().__init__(type(self).__name__)
        self.alternatives = alternatives or []


class SlotTaken(SlotUnavailable):
    code: ClassVar[str] = "slot_taken"


class SlotInPast(SlotUnavailable):
    code: ClassVar[str] = "slot_in_past"


class OutsideAvailability(SlotUnavailable):
    code: ClassVar[str] = "outside_availability"


class InvalidPhone(BookingError):
    code: ClassVar[str] = "invalid_phone"


class InvalidHours(BookingError):
    code: ClassVar[str] = "invalid_hours"


class InvalidOffice(BookingError):
    code: ClassVar[str] = "invalid_office"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChoiceNotAllowed(BookingError):
    code: ClassVar[str] = "choice_not_allowed"


class BookingNotFound(BookingError):
    code: ClassVar[str] = "booking_not_found"


class BookingClosed(BookingError):
    code: ClassVar[str] = "booking_closed"


class LinkError(BookingError):
    code: ClassVar[str] = "link_invalid"


class LinkExpired(LinkError):
    code: ClassVar[str] = "link_expired"


class LinkInvalid(LinkError):
    code: ClassVar[str] = "link_invalid"
