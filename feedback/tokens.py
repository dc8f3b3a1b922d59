"""One-time feedback tokens: a random secret for the link, only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from feedback.months import month_of

__all__ = [
    "TOKEN_LIFETIME",
    "FeedbackContext",
    "new_token",
    "hash_token",
    "looks_like_token",
    "channel_for_outcome",
    "month_of",
]

TOKEN_LIFETIME = timedelta(days=14)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")

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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return bool(_SHAPE.match(value))


def channel_for_outcome(outcome: str | None) -> str | None:
    """The channel a session was held on, or None when there is nothing to rate."""
    return _CHANNELS.get(outcome or "")
