"""An office as people meet it: name, postal address, phone, opening hours, holidays.

Plain validation, no storage: ``parse_office`` turns what an administrator typed into
``OfficeDetails`` or raises ``InvalidOffice`` with a ``reason`` the edge turns into a
sentence on the form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from booking.availability import WEEKDAYS, Hours, parse_hours
from booking.errors import InvalidHours, InvalidOffice, InvalidPhone
from booking.phone import display_phone, normalize_phone

__all__ = [
    "OfficeDetails",
    "OpeningHours",
    "parse_office",
    "parse_opening_hours",
    "hours_from_json",
    "check_holiday",
    "one_line",
    "hours_text",
]

OpeningHours = dict[str, list[tuple[str, str]]]

# "Musterstraße 12a" then "12345 Berlin": a street with a house number, a German postcode and a town.
_STREET = re.compile(r"^\S.*\s\d+\s?[a-zA-Z]?(\s*[-/]\s*\d+\s?[a-zA-Z]?)?$")
_TOWN = re.compile(r"^\d{5}\s+\S.*$")


@dataclass(frozen=True)
class OfficeDetails:
    name: str
    address: str
    phone: str
    hours: OpeningHours
    allow_caseworker_choice: bool

    def hours_json(self) -> str:
        return json.dumps(self.hours, separators=(",", ":"))


def one_line(address: str) -> str:
    """The address on one line, as a calendar's LOCATION or a confirmation shows it."""
    return ", ".join(part.strip() for part in address.splitlines() if part.strip())


def _address(raw: str) -> str:
    lines = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
    if len(lines) < 2 or len(raw) > 500:
        raise InvalidOffice("address")
    if not _STREET.match(lines[-2]) or not _TOWN.match(lines[-1]):
        raise InvalidOffice("address")
    return "\n".join(lines)


def parse_opening_hours(texts: dict[str, str]) -> OpeningHours:
    """``{"mon": "08:00-12:00, 14:00-16:00"}`` → sorted intervals; overlaps are refused."""
    found: OpeningHours = {}
    for weekday, name in enumerate(WEEKDAYS):
        try:
            hours: list[Hours] = sorted(parse_hours(weekday, texts.get(name, "")))
        except InvalidHours:
            raise InvalidOffice("hours") from None
        for earlier, later in zip(hours, hours[1:], strict=False):
            if later.start < earlier.end:
                raise InvalidOffice("overlap")
        if hours:
            found[name] = [(h.start.strftime("%H:%M"), h.end.strftime("%H:%M")) for h in hours]
    return found


def hours_from_json(stored: str) -> OpeningHours:
    if not stored:
        return {}
    loaded = json.loads(stored)
    return {day: [(str(a), str(b)) for a, b in spans] for day, spans in loaded.items()}


def hours_text(hours: OpeningHours, day: str) -> str:
    return ", ".join(f"{a}-{b}" for a, b in hours.get(day, []))


def parse_office(
    name: str, address: str, phone: str, hours: dict[str, str], allow_caseworker_choice: bool
) -> OfficeDetails:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidOffice("name")
    shown_phone = ""
    if phone.strip():
        try:
            shown_phone = display_phone(normalize_phone(phone.strip()))
        except InvalidPhone:
            raise InvalidOffice("phone") from None
    return OfficeDetails(name, _address(address), shown_phone, parse_opening_hours(hours), allow_caseworker_choice)


def check_holiday(first: date, last: date, today: date) -> None:
    """A holiday lies today or later and ends on or after it begins (at most a year long)."""
    if last < first:
        raise InvalidOffice("holiday_order")
    if first < today:
        raise InvalidOffice("holiday_past")
    if (last - first).days > 366:
        raise InvalidOffice("holiday_length")
