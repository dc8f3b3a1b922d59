"""The in-process retention purge: one background task, owned, cancelled on shutdown.

With several nodes, ``lock`` (``storage.redis_lock.IntervalLock``) lets one of them run
each interval; the others count the round as left to another node.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings_policy import RetentionPolicy
from storage.purge import PurgeReport, purge
from web.metrics import Metrics

__all__ = ["Purger"]

logger = logging.getLogger(__name__)


class Purger:
    """Runs ``storage.purge.purge`` every ``interval`` seconds, first right at start-up."""

    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        policy: RetentionPolicy,
        clock: Callable[[], datetime],
        interval: float,
        *,
        lock: Callable[[], Awaitable[bool]] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._lock = lock
        self._metrics = metrics
        self._db = db
        self._policy = policy
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        # Set after every run; lets tests (and health checks) wait without sleeping.
        self.runs = 0
        self.last: PurgeReport | None = None
        self.ran = asyncio.Event()

    def start(self) -> None:
        if self._task is None and self._interval > 0:
            self._task = asyncio.ensure_future(self._loop())

    async def run_once(self) -> PurgeReport:
        report = await purge(self._db, self._policy, self._clock())
        self.runs += 1
        self.last = report
        self.ran.set()
        if self._metrics is not None:
            self._metrics.purged(report.deleted)
        return report

    async def _round(self) -> None:
        if self._lock is not None and not await self._lock():
            if self._metrics is not None:
                self._metrics.purge_left_to_another_node()
            return
        await self.run_once()

    async def _loop(self) -> None:
        while True:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A failed run (database down) must not end the loop; the next one retries.
                logger.exception("retention purge failed")
            await asyncio.sleep(self._interval)

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
