"""Feedback's ballot box: moving waiting ballots into the results (one round of the mover).

A kind of ballot moves only when at least ``k`` of them wait (``storage.ballots.move``);
after every round the traces are scrubbed. When the rounds run is the edge's business
(``web.ballot_mover``); counts only are logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.ballots import MIN_BATCH, MoveReport, move, scrub

__all__ = ["MIN_BATCH", "MoveBallots", "MoveReport"]

logger = logging.getLogger(__name__)


class MoveBallots:
    """The use case: move what may move now, then scrub; one round at a time."""

    def __init__(
        self,
        engine: AsyncEngine,
        db: async_sessionmaker[AsyncSession],
        k: int,
        rng: random.Random,
        on_moved: Callable[[int], None] = lambda count: None,
    ) -> None:
        if k < MIN_BATCH:
            raise ValueError(f"ballot batches need at least {MIN_BATCH} answers")
        self._engine = engine
        self._db = db
        self._k = k
        self._rng = rng
        # Told how many ballots each round moved: a metric counts them here, at the move,
        # never at submission, so it cannot time an answer (docs/security.md).
        self._on_moved = on_moved
        self._lock = asyncio.Lock()

    async def __call__(self) -> MoveReport:
        async with self._lock:
            report = await move(self._db, self._k, self._rng)
            if any(report.moved.values()):
                self._on_moved(sum(report.moved.values()))
                logger.info("ballots moved: %s", " ".join(f"{k}={n}" for k, n in sorted(report.moved.items())))
            # Every round, not only after a move: a transaction elsewhere may have kept dead
            # tuples alive through the last scrub; the tables are tiny, so this is cheap.
            await scrub(self._engine)
        return report
