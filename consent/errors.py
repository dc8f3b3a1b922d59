"""Errors of the consent domain.

ConsentError
├── UnknownText       no consent text for that language and version
└── ConsentMissing    an action needs a current consent record
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["ConsentError", "UnknownText", "ConsentMissing"]


class ConsentError(Exception):
    """Root of every error the consent domain raises."""

    code: ClassVar[str] = "bad_request"


class UnknownText(ConsentError):
    code: ClassVar[str] = "unknown_text"


class ConsentMissing(ConsentError):
    code: ClassVar[str] = "consent_required"
