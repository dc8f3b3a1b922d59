"""Naming what a bulk statement changes, for ``storage.revocations``.

Kept apart (and free of other storage imports) so every storage module can use it.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["changed", "marked", "INFO_KEY", "MARKED"]

INFO_KEY = "grant_changes"
MARKED = "grants_marked"
_S = TypeVar("_S")


def changed(db: Any, *keys: str) -> None:
    """Name what is being changed in ``db`` (a Session or AsyncSession): revoked at commit."""
    db.info.setdefault(INFO_KEY, set()).update(keys)


def marked(statement: _S) -> _S:
    """A bulk statement whose changes are named with ``changed``."""
    return statement.execution_options(**{MARKED: True})  # type: ignore[attr-defined,no-any-return]
