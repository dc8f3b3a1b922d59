"""The in-process retention purge: owns the task that runs ``application.retention.PurgeExpired``.

With several nodes, ``lock`` (``storage.redis_lock.IntervalLock``) lets one of them run
each interval; the others count the round as left to another node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.periodic import PeriodicTask
from application.retention import PurgeExpired, PurgeReport
from recordings_policy import RetentionPolicy
from web.metrics import Metrics

__all__ = ["Purger"]


class Purger:
    """Runs the retention purge every ``interval`` seconds, first right at start-up."""

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
        self._purge = PurgeExpired(db, policy, clock)
        self._task = PeriodicTask("retention purge", self._round, interval, first_at_once=True)
        # Set after every run; lets tests (and health checks) wait without sleeping.
        self.runs = 0
        self.last: PurgeReport | None = None
        self.ran = asyncio.Event()

    def start(self) -> None:
        self._task.start()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running task (None before start and after close)."""
        return self._task.task

    async def run_once(self) -> PurgeReport:
        report = await self._purge()
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

    async def close(self) -> None:
        await self._task.close()
