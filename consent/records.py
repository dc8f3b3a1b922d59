"""What a consent record holds."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Scope", "ConsentRecord", "ALL_SCOPES"]


class Scope(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    DATA_PROCESSING = "data_processing"
    # The recipient agrees that a third person (interpreter, companion) joins the call.
    # Asked separately, never part of the first consent.
    THIRD_PERSON = "third_person"


# What the consent page asks for: everything but the third person.
ALL_SCOPES: frozenset[Scope] = frozenset({Scope.VIDEO, Scope.AUDIO, Scope.DATA_PROCESSING})


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    participant_id: str
    session_id: str
    role: str
    given_at: datetime
    text_version: str
    text_sha256: str
    language: str
    scopes: frozenset[Scope]
    withdrawn_at: datetime | None = None

    @property
    def current(self) -> bool:
        return self.withdrawn_at is None
