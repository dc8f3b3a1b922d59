"""Password checks off the event loop, in a small bounded thread pool.

One argon2id check takes about 100 ms of CPU. On the loop it stalls every socket of the
node; in a thread it does not (argon2-cffi releases the GIL while hashing). But a check
also runs its lanes on threads of its own (parallelism 4 in our hashes), enough to take
both cores of a small node from the event loop's thread. So the pool's threads run at the
lowest CPU priority (nice 19; on Linux a thread's niceness is its own and passes to the
threads it starts): the loop always comes first, hashing gets what is left. The pool has
``workers`` threads and at most ``max_pending`` checks queued; beyond that a login is
refused with ``PasswordChecksBusy`` instead of queueing without bound.

The hashes themselves are ``Passwords``, built once from ``Settings`` (``passwords_for``):
argon2-cffi's default cost in production, a cheap one in tests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from application.login import Passwords
from web.settings import Settings

__all__ = ["PasswordChecks", "PasswordChecksBusy", "passwords_for"]

logger = logging.getLogger(__name__)

_LOWEST = 19


def _lowest_priority() -> None:
    """Thread initializer: this worker (and the threads argon2 starts from it) yield to the loop."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _LOWEST)
    except (AttributeError, OSError):  # not Linux: the bound on workers still holds
        logger.info("password checks run at normal priority on this platform")


def passwords_for(settings: Settings) -> Passwords:
    """New password hashes (and the dummy hash of unknown names) at the settings' argon2 cost."""
    return Passwords(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


class PasswordChecksBusy(Exception):
    """Too many password checks are queued on this node right now."""


class PasswordChecks:
    """Checks with ``passwords``; owned by the app; ``close()`` is safe to call twice."""

    def __init__(self, passwords: Passwords, workers: int = 2, max_pending: int = 16) -> None:
        self.passwords = passwords
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2", initializer=_lowest_priority)
        self._max_pending = max_pending
        self._pending = 0
        self.checked = 0  # how many hashes were verified (known and unknown names alike)

    async def verify(self, password_hash: str, password: str) -> bool:
        if self._pending >= self._max_pending:
            raise PasswordChecksBusy()
        self._pending += 1
        self.checked += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self.passwords.verify, password_hash, password)
        finally:
            self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
