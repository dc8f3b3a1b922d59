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

from rooms.domain_errors import DomainError, Reasoned

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


class BookingError(DomainError):
    """Root of every booking error."""


class SlotUnavailable(BookingError, code="slot_unavailable"):
    def __init__(self, alternatives: list[datetime] | None = None) -> None:
        super().__init__(type(self).__name__)
        self.alternatives = alternatives or []


class SlotTaken(SlotUnavailable, code="slot_taken"): ...


class SlotInPast(SlotUnavailable, code="slot_in_past"): ...


class OutsideAvailability(SlotUnavailable, code="outside_availability"): ...


class InvalidPhone(BookingError, code="invalid_phone"): ...


class InvalidHours(BookingError, code="invalid_hours"): ...


class InvalidOffice(BookingError, Reasoned, code="invalid_office"): ...


class ChoiceNotAllowed(BookingError, code="choice_not_allowed"): ...


class BookingNotFound(BookingError, code="booking_not_found"): ...


class BookingClosed(BookingError, code="booking_closed"): ...


class LinkError(BookingError, code="link_invalid"): ...


class LinkExpired(LinkError, code="link_expired"): ...


class LinkInvalid(LinkError, code="link_invalid"): ...
