"""Password hashes: argon2id at one cost, built once by the composition root from ``Settings``."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

__all__ = ["Passwords"]


class Passwords:
    """Hashes new passwords at one argon2id cost and checks stored hashes.

    The default cost is argon2-cffi's (RFC 9106 low-memory); tests lower it. A stored hash
    is always verified with the cost written in it. ``dummy_hash`` has the same cost, so an
    unknown name costs as much time as a wrong password.
    """

    def __init__(
        self,
        *,
        time_cost: int = RFC_9106_LOW_MEMORY.time_cost,
        memory_kib: int = RFC_9106_LOW_MEMORY.memory_cost,
        parallelism: int = RFC_9106_LOW_MEMORY.parallelism,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        self.dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """The argon2 check itself (CPU-bound, ~100 ms): the web runs it off the event loop."""
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False
