"""The in-process retention purge: one background task, owned, cancelled on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings_policy import RetentionPolicy
from storage.purge import PurgeReport, purge

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
    ) -> None:
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
        return report

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
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
