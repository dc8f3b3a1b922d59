"""One-time feedback tokens: a random secret for the link, only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from feedback.months import month_of

__all__ = [
    "TOKEN_LIFETIME",
    "FeedbackContext",
    "SHORT_CODE_LENGTH",
    "new_token",
    "new_short_code",
    "normalise_code",
    "expiry_day",
    "hash_token",
    "looks_like_token",
    "channel_for_outcome",
    "month_of",
]

TOKEN_LIFETIME = timedelta(days=14)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Short codes for the printed card: no 0/O, 1/I/L, so they can be read out on the phone.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SHORT_CODE_LENGTH = 10  # 31^10 ~ 2^49.5; online guessing is rate-limited
_CODE = re.compile(rf"^[{_CODE_ALPHABET}]{{{SHORT_CODE_LENGTH}}}$")

# Only sessions that took place on some channel get feedback; a no-show or a
# technical failure has no conversation to rate.
_CHANNELS = {"video": "video", "phone": "phone", "in_person": "in_person"}


@dataclass(frozen=True)
class FeedbackContext:
    """The non-identifying facts copied into an answer: nothing that points to a session."""

    group: str
    office_id: int | None
    channel: str
    month: str  # "YYYY-MM", Europe/Berlin


def new_token() -> tuple[str, str]:
    """A fresh token for the link and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def new_short_code() -> tuple[str, str]:
    """A fresh short code (10 characters) for the printed card, and the hash to store."""
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
    return code, hash_token(code)


def normalise_code(typed: str) -> str | None:
    """A typed short code (any case, spaces or dashes) in canonical form, or None."""
    code = re.sub(r"[\s-]", "", typed).upper()
    return code if _CODE.match(code) else None


def expiry_day(now: datetime) -> datetime:
    """Midnight UTC after at least ``TOKEN_LIFETIME``: a whole day, so the expiry says
    nothing about the minute a session ended or a link was minted."""
    day = (now.astimezone(UTC) + TOKEN_LIFETIME).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    """A link token or a (canonical) short code."""
    return bool(_SHAPE.match(value) or _CODE.match(value))


def channel_for_outcome(outcome: str | None) -> str | None:
    """The channel a session was held on, or None when there is nothing to rate."""
    return _CHANNELS.get(outcome or "")
