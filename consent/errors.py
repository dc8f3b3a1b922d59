"""Errors of the consent domain.

ConsentError
├── UnknownText       no consent text for that language and version
└── ConsentMissing    an action needs a current consent record
"""

from __future__ import annotations

__all__ = ["ConsentError", "UnknownText", "ConsentMissing"]


class ConsentError(Exception):
    """Root of every error the consent domain raises."""


class UnknownText(ConsentError):
    pass


class ConsentMissing(ConsentError):
    pass
