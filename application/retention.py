"""Retention: deleting every row whose period under the ``RetentionPolicy`` has ended.

One round is :class:`PurgeExpired`; each batch is its own transaction
(``storage.purge.purge``). When rounds run, and which node runs them, is the edge's
business (``web.purger``). The report holds counts only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings_policy import RetentionPolicy
from storage.purge import PurgeReport, purge

__all__ = ["PurgeExpired", "PurgeReport"]


@dataclass(frozen=True)
class PurgeExpired:
    """The use case: delete what the policy no longer allows to keep, as of ``clock()``."""

    db: async_sessionmaker[AsyncSession]
    policy: RetentionPolicy
    clock: Callable[[], datetime]

    async def __call__(self) -> PurgeReport:
        return await purge(self.db, self.policy, self.clock())
