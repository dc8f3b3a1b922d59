"""Phone numbers for phone appointments, validated with ``phonenumbers`` (default region DE)."""

from __future__ import annotations

import phonenumbers

from booking.errors import InvalidPhone

__all__ = ["normalize_phone", "display_phone"]


def normalize_phone(raw: str) -> str:
    """The number in E.164 (``+4930123456``); raises ``InvalidPhone``."""
    if not raw or len(raw) > 40:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone() from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """How a German caller reads the number."""
    number = phonenumbers.parse(e164, "DE")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
