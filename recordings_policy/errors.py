"""Errors of the recordings policy.

PolicyError
├── InvalidPolicy     the policy file is missing, not TOML, or breaks a rule
└── NotStored         something the policy says is never stored was asked to be
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["PolicyError", "InvalidPolicy", "NotStored"]


class PolicyError(Exception):
    """Root of every error the recordings policy raises."""

    code: ClassVar[str] = "bad_request"


class InvalidPolicy(PolicyError):
    code: ClassVar[str] = "invalid_policy"


class NotStored(PolicyError):
    code: ClassVar[str] = "forbidden"
