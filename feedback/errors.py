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

from rooms.domain_errors import DomainError

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


class FeedbackError(DomainError):
    """Root of every error the feedback domain raises."""


class TokenError(FeedbackError, code="feedback_invalid"): ...


class TokenInvalid(TokenError, code="feedback_invalid"): ...


class TokenUsed(TokenError, code="feedback_used"): ...


class TokenExpired(TokenError, code="feedback_expired"): ...


class InvalidAnswer(FeedbackError, code="invalid_answer"):
    """``field`` names the question; ``reason`` is one of: missing, choice, range, too_long."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyRated(FeedbackError, code="already_rated"): ...


class PooledRequest(FeedbackError, code="pooled"): ...


class TooFewAnswers(FeedbackError, code="too_few_answers"): ...


class BadPeriod(FeedbackError, code="bad_period"):
    """A period that is not on the fixed grid (month, quarter, half-year, year, ``all``).

    Free date ranges are refused on purpose: two overlapping ranges differ by a sliver
    the grid's suppression never saw.
    """

    def __init__(self, value: str) -> None:
        super().__init__(f"not a period on the grid: {value!r}")
        self.value = value
