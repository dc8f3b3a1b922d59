"""The retention policy: which category may be stored, and for how long.

Loaded from one declarative TOML file (``policy.toml`` next to this module by default)
and validated strictly: an unknown or missing category, an unknown key or a recording
that is allowed makes the whole policy invalid.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from recordings_policy.errors import InvalidPolicy, NotStored

__all__ = ["DEFAULT_POLICY", "Category", "Anchor", "Rule", "RetentionPolicy", "load_policy", "read_toml"]

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")


class Category(enum.StrEnum):
    AUDIO_VIDEO_RECORDING = "audio_video_recording"
    SCREENSHOTS = "screenshots"
    CHAT_TEXT = "chat_text"
    SESSION_METADATA = "session_metadata"
    CONSENT_RECORDS = "consent_records"
    BOOKINGS_AND_PHONE_NUMBERS = "bookings_and_phone_numbers"
    FEEDBACK = "feedback"
    LOGS = "logs"


# Media never reaches the server: a policy allowing these would promise the impossible.
NEVER_STORED = frozenset({Category.AUDIO_VIDEO_RECORDING, Category.SCREENSHOTS, Category.CHAT_TEXT})


class Anchor(enum.StrEnum):
    """The moment a retention period counts from."""

    CREATED = "created"
    SESSION_END = "session_end"
    APPOINTMENT = "appointment"


# The moments each category's data records, so its period can count from them. The purge
# (storage/purge.py) reads the rule's anchor; any other anchor is refused at start-up.
ANCHORS: dict[Category, frozenset[Anchor]] = {
    Category.SESSION_METADATA: frozenset({Anchor.CREATED, Anchor.SESSION_END, Anchor.APPOINTMENT}),
    # Consent records outlive their session, whose end goes with it: only their own time.
    Category.CONSENT_RECORDS: frozenset({Anchor.CREATED}),
    Category.BOOKINGS_AND_PHONE_NUMBERS: frozenset({Anchor.CREATED, Anchor.APPOINTMENT}),
    Category.FEEDBACK: frozenset({Anchor.CREATED}),
    Category.LOGS: frozenset({Anchor.CREATED}),
}


@dataclass(frozen=True, slots=True)
class Rule:
    category: Category
    store: bool
    keep: timedelta | None = None
    anchor: Anchor | None = None


@dataclass(frozen=True)
class RetentionPolicy:
    """The validated policy; one ``Rule`` per category."""

    rules: MappingProxyType[Category, Rule]

    def may_store(self, category: Category | str) -> bool:
        return self._rule(category).store

    def retention(self, category: Category | str) -> timedelta | None:
        """How long ``category`` is kept; None when it is never stored."""
        return self._rule(category).keep

    def anchor(self, category: Category | str) -> Anchor | None:
        """What ``category``'s period counts from; None when it is never stored."""
        return self._rule(category).anchor

    def ensure_storable(self, category: Category | str) -> None:
        if not self.may_store(category):
            raise NotStored(str(category))

    def days(self, category: Category | str) -> int:
        """Whole days kept (0 when never stored), for texts shown to people."""
        keep = self.retention(category)
        return keep.days if keep else 0

    def facts(self) -> dict[str, int]:
        """``{"<category>_days": n}`` for every category, to fill texts shown to people."""
        return {f"{c.value}_days": self.days(c) for c in Category}

    def _rule(self, category: Category | str) -> Rule:
        return self.rules[Category(category)]

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> RetentionPolicy:
        data = dict(data)
        if data.pop("version", None) != 1:
            raise InvalidPolicy("version must be 1")
        known = {c.value for c in Category}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidPolicy(f"unknown categories: {', '.join(unknown)}")
        missing = sorted(known - set(data))
        if missing:
            raise InvalidPolicy(f"missing categories: {', '.join(missing)}")
        return cls(MappingProxyType({c: _rule(c, data[c.value]) for c in Category}))


def _rule(category: Category, table: Any) -> Rule:
    where = f"[{category.value}]"
    if not isinstance(table, dict):
        raise InvalidPolicy(f"{where} must be a table")
    extra = sorted(set(table) - {"store", "days", "from"})
    if extra:
        raise InvalidPolicy(f"{where}: unknown keys {', '.join(extra)}")
    store = table.get("store")
    if not isinstance(store, bool):
        raise InvalidPolicy(f"{where}: store must be true or false")
    if not store:
        if "days" in table or "from" in table:
            raise InvalidPolicy(f"{where}: days and from make no sense when store = false")
        return Rule(category, False)
    if category in NEVER_STORED:
        raise InvalidPolicy(f"{where}: must be store = false (the server never sees media)")
    days = table.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
        raise InvalidPolicy(f"{where}: days must be a whole number from 1 to 3660")
    try:
        anchor = Anchor(str(table.get("from")))
    except ValueError:
        choices = ", ".join(a.value for a in Anchor)
        raise InvalidPolicy(f"{where}: from must be one of {choices}") from None
    if anchor not in ANCHORS[category]:
        choices = ", ".join(sorted(a.value for a in ANCHORS[category]))
        raise InvalidPolicy(f"{where}: from must be one of {choices} (the data records no other moment)")
    return Rule(category, True, timedelta(days=days), anchor)


def read_toml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """The TOML file at ``path``; ``error`` (with the path in its message) when it cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from exc


def load_policy(path: Path = DEFAULT_POLICY) -> RetentionPolicy:
    """Read and validate the policy file; ``InvalidPolicy`` names the problem and the file."""
    data = read_toml(path, InvalidPolicy)
    try:
        return RetentionPolicy.from_mapping(data)
    except InvalidPolicy as exc:
        raise InvalidPolicy(f"{path}: {exc}") from None
