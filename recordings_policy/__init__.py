"""The recordings policy: what may be stored, and for how long. Plain Python."""

from recordings_policy.errors import InvalidPolicy, NotStored, PolicyError
from recordings_policy.retention import (
    DEFAULT_POLICY,
    Category,
    RetentionPolicy,
    load_policy,
)

__all__ = [
    "DEFAULT_POLICY",
    "Category",
    "RetentionPolicy",
    "load_policy",
    "PolicyError",
    "InvalidPolicy",
    "NotStored",
]
