"""The in-process ballot mover: owns the task that runs ``application.ballot_box.MoveBallots``.

It runs at random intervals around ``interval`` (never in step with submissions).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from application.ballot_box import MoveBallots, MoveReport
from application.periodic import PeriodicTask

__all__ = ["BallotMover"]


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
        rng = rng or random.SystemRandom()
        self._move = MoveBallots(engine, db, k, rng, on_moved)
        self._task = PeriodicTask("ballot move", self.move_once, interval, jitter=lambda: rng.uniform(0.5, 1.5))
        # Set after every run; lets tests wait without sleeping.
        self.runs = 0
        self.last: MoveReport | None = None
        self.ran = asyncio.Event()

    def start(self) -> None:
        self._task.start()

    async def move_once(self) -> MoveReport:
        """One round now (tests and the task call it)."""
        report = await self._move()
        self.runs += 1
        self.last = report
        self.ran.set()
        return report

    async def close(self) -> None:
        await self._task.close()
