"""The recordings policy: what may be stored, and for how long. Plain Python."""

from recordings_policy.errors import InvalidPolicy, NotStored, PolicyError
from recordings_policy.retention import (
    ANCHORS,
    DEFAULT_POLICY,
    Anchor,
    Category,
    RetentionPolicy,
    load_policy,
)

__all__ = [
    "ANCHORS",
    "DEFAULT_POLICY",
    "Anchor",
    "Category",
    "RetentionPolicy",
    "load_policy",
    "PolicyError",
    "InvalidPolicy",
    "NotStored",
]
