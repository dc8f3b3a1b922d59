"""One owned background task: started once, a failed round logged, cancelled and awaited on close.

Every in-process worker of the server (the ballot mover and the retention purge in
``web/``, the presence heartbeat and the presence watch in ``signaling/``) is a
:class:`PeriodicTask` around one round of its work. It lives here, below both edges, so
that each of them uses the one owner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

__all__ = ["PeriodicTask"]

logger = logging.getLogger(__name__)


class PeriodicTask:
    """Runs ``round`` again and again, ``interval * jitter()`` seconds apart, until closed.

    ``first_at_once`` runs the first round at start (then pauses); otherwise the task pauses
    first. An interval of 0 or less never starts a task (tests drive the rounds themselves).
    A failed round is logged as "<name> failed" to ``log`` (the owner's logger, if it passes one).
    """

    def __init__(
        self,
        name: str,
        round: Callable[[], Awaitable[object]],
        interval: float,
        *,
        jitter: Callable[[], float] = lambda: 1.0,
        first_at_once: bool = False,
        log: logging.Logger = logger,
    ) -> None:
        self._name = name
        self._round = round
        self._interval = interval
        self._jitter = jitter
        self._first_at_once = first_at_once
        self._log = log
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the task once; an interval of 0 or less leaves it unstarted."""
        if self._task is None and self._interval > 0:
            self._task = asyncio.create_task(self._loop(), name=self._name)

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running task (None before start and after close)."""
        return self._task

    async def _loop(self) -> None:
        if not self._first_at_once:
            await self._sleep()
        while True:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A failed round (database down, a concurrent worker) must not end the loop.
                self._log.exception("%s failed", self._name)
            await self._sleep()

    async def _sleep(self) -> None:
        await asyncio.sleep(self._interval * self._jitter())

    async def close(self) -> None:
        """Cancel and await the task; safe to call twice."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
