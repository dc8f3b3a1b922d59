"""A third person in the call (interpreter or companion), and the bound of the mesh.

The call is a full mesh of peer-to-peer connections, one per pair: n participants need
n·(n−1)/2 connections and each browser uploads its media n−1 times, so the mesh is
bounded at three (docs/architecture.md says why, and what an SFU would change).
"""

from __future__ import annotations

import enum

from rooms.errors import CallFull

__all__ = ["ThirdRole", "THIRD_ROLES", "MAX_PARTICIPANTS", "ensure_room"]

MAX_PARTICIPANTS = 3


class ThirdRole(enum.StrEnum):
    INTERPRETER = "interpreter"
    COMPANION = "companion"


THIRD_ROLES = frozenset(r.value for r in ThirdRole)


def ensure_room(admitted: int) -> None:
    """Raise ``CallFull`` when ``admitted`` participants (the caseworker included) fill the call."""
    if admitted >= MAX_PARTICIPANTS:
        raise CallFull(admitted)
