"""The root of every domain error, and the one way a domain error names its wire code.

Shared by the domain packages (rooms, consent, recordings_policy, booking, feedback); it
lives here, in the core domain package, rather than in a top-level package of its own.

Each domain package keeps its own tree (``booking/errors.py``, ``rooms/errors.py``, …);
a class names its code where it is declared::

    class SlotTaken(SlotUnavailable, code="slot_taken"): ...

``code`` is a class attribute set on the class itself, so the edges (``web/errors.py``,
``signaling/errors.py``) find it walking the error's classes, and a class that names no
code falls back to its parent's.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["DomainError", "Reasoned"]


class DomainError(Exception):
    """Root of each domain package's errors; ``code`` is the wire code of the class."""

    code: ClassVar[str] = "bad_request"

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code


class Reasoned(Exception):
    """An error that says which of a closed set of reasons it is, as ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
