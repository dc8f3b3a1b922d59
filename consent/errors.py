"""Errors of the consent domain.

ConsentError
├── UnknownText       no consent text for that language and version
└── ConsentMissing    an action needs a current consent record
"""

from __future__ import annotations

from rooms.domain_errors import DomainError

__all__ = ["ConsentError", "UnknownText", "ConsentMissing"]


class ConsentError(DomainError):
    """Root of every error the consent domain raises."""


class UnknownText(ConsentError, code="unknown_text"): ...


class ConsentMissing(ConsentError, code="consent_required"): ...
