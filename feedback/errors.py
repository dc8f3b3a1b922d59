"""Errors of the feedback domain.

FeedbackError
├── TokenError              the one-time feedback link cannot be used
│   ├── TokenInvalid        unknown or forged
│   ├── TokenUsed           already used: an answer was stored once
│   └── TokenExpired
├── InvalidAnswer           an answer is missing, out of range or too long
├── AlreadyRated            the caseworker rated this session already
├── PooledRequest           an evaluation or export would pool SGB II and SGB III
├── TooFewAnswers           a selection is too small to publish without identifying anyone
└── BadPeriod               a period that is not on the fixed grid
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "FeedbackError",
    "TokenError",
    "TokenInvalid",
    "TokenUsed",
    "TokenExpired",
    "InvalidAnswer",
    "AlreadyRated",
    "PooledRequest",
    "TooFewAnswers",
    "BadPeriod",
]


class FeedbackError(Exception):
    """Root of every error the feedback domain raises."""


class TokenError(FeedbackError):
    pass


class TokenInvalid(TokenError):
    pass


class TokenUsed(TokenError):
    pass


class TokenExpired(TokenError):
    pass


class InvalidAnswer(FeedbackError):
    """``field`` names the question; ``reason`` is one of: missing, choice, range, too_long."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyRated(FeedbackError):
    pass


class PooledRequest(FeedbackError):
    pass


class TooFewAnswers(FeedbackError):
    pass


class BadPeriod(FeedbackError):
    """A period that is not on the fixed grid (month, quarter, half-year, year, ``all``).

    Free date ranges are refused on purpose: two overlapping ranges differ by a sliver
    the grid's suppression never saw.
    """

    code: ClassVar[str] = "bad_period"

    def __init__(self, value: str) -> None:
        super().__init__(f"not a period on the grid: {value!r}")
        self.value = value
