"""Retention: deleting every row whose period under the ``RetentionPolicy`` has ended.

One round is :class:`PurgeExpired`; each batch is its own transaction
(``storage.purge.purge``). When rounds run, and which node runs them, is the edge's
business (``web.purger``). The report holds counts only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings_policy import RetentionPolicy
from storage.purge import PurgeReport, purge

__all__ = ["PurgeExpired", "PurgeReport"]


class PurgeExpired:
    """The use case: delete what the policy no longer allows to keep, as of ``clock()``."""

    def __init__(
        self, db: async_sessionmaker[AsyncSession], policy: RetentionPolicy, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock

    async def __call__(self) -> PurgeReport:
        return await purge(self._db, self._policy, self._clock())
