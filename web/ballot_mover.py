"""The in-process ballot mover: one background task, owned, cancelled on shutdown.

It runs at random intervals around ``interval`` (never in step with submissions) and moves
a kind of ballot only when at least ``k`` of them wait (``storage.ballots.move``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.ballots import MIN_BATCH, MoveReport, move, scrub

__all__ = ["BallotMover"]

logger = logging.getLogger(__name__)


class BallotMover:
    """Moves waiting ballots into the results every ``interval`` seconds (0.5-1.5 x, random)."""

    def __init__(
        self,
        engine: AsyncEngine,
        db: async_sessionmaker[AsyncSession],
        interval: float,
        k: int,
        rng: random.Random | None = None,
        on_moved: Callable[[int], None] = lambda count: None,
    ) -> None:
        if k < MIN_BATCH:
            raise ValueError(f"ballot batches need at least {MIN_BATCH} answers")
        self._engine = engine
        self._db = db
        self._interval = interval
        self._k = k
        self._rng = rng or random.SystemRandom()
        # Told how many ballots each run moved: a metric counts them here, at the move,
        # never at submission, so it cannot time an answer (docs/security.md).
        self._on_moved = on_moved
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Set after every run; lets tests wait without sleeping.
        self.runs = 0
        self.last: MoveReport | None = None
        self.ran = asyncio.Event()

    def start(self) -> None:
        if self._task is None and self._interval > 0:
            self._task = asyncio.ensure_future(self._loop())

    async def move_once(self) -> MoveReport:
        """Move what may move now, then scrub the traces; counts only are logged."""
        async with self._lock:
            report = await move(self._db, self._k, self._rng)
            if any(report.moved.values()):
                self._on_moved(sum(report.moved.values()))
                logger.info("ballots moved: %s", " ".join(f"{k}={n}" for k, n in sorted(report.moved.items())))
            # Every run, not only after a move: a transaction elsewhere may have kept dead
            # tuples alive through the last scrub; the tables are tiny, so this is cheap.
            await scrub(self._engine)
        self.runs += 1
        self.last = report
        self.ran.set()
        return report

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval * self._rng.uniform(0.5, 1.5))
            try:
                await self.move_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A failed run (database down, a concurrent mover) must not end the loop.
                logger.exception("ballot move failed")

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
