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


class SlotUnavailable(BookingError):
    def __init__(self, alternatives: list[datetime] | None = None) -> None:
        super().__init__(type(self).__name__)
        self.alternatives = alternatives or []


class SlotTaken(SlotUnavailable):
    pass


class SlotInPast(SlotUnavailable):
    pass


class OutsideAvailability(SlotUnavailable):
    pass


class InvalidPhone(BookingError):
    pass


class InvalidHours(BookingError):
    pass


class InvalidOffice(BookingError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChoiceNotAllowed(BookingError):
    pass


class BookingNotFound(BookingError):
    pass


class BookingClosed(BookingError):
    pass


class LinkError(BookingError):
    pass


class LinkExpired(LinkError):
    pass


class LinkInvalid(LinkError):
    pass
