"""Errors of the recordings policy.

PolicyError
├── InvalidPolicy     the policy file is missing, not TOML, or breaks a rule
└── NotStored         something the policy says is never stored was asked to be
"""

from __future__ import annotations

from rooms.domain_errors import DomainError

__all__ = ["PolicyError", "InvalidPolicy", "NotStored"]


class PolicyError(DomainError):
    """Root of every error the recordings policy raises."""


class InvalidPolicy(PolicyError, code="invalid_policy"): ...


class NotStored(PolicyError, code="forbidden"): ...
