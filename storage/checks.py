"""Anonymous pre-call check verdicts."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.check import DeviceClass, Verdict
from storage.models import CheckVerdictRow

__all__ = ["record_verdict", "verdict_counts"]


async def record_verdict(
    db: AsyncSession, device: DeviceClass, verdict: Verdict, benefit_group: str | None, month: str
) -> None:
    db.add(
        CheckVerdictRow(
            id=str(uuid.uuid4()),
            device_class=str(device),
            verdict=str(verdict),
            benefit_group=benefit_group,
            month=month,
        )
    )


async def verdict_counts(db: AsyncSession, benefit_group: str | None) -> Counter[tuple[str, str]]:
    """(device class, verdict) → count, for one group (None: the standalone checks)."""
    query = select(CheckVerdictRow.device_class, CheckVerdictRow.verdict)
    if benefit_group is None:
        query = query.where(CheckVerdictRow.benefit_group.is_(None))
    else:
        query = query.where(CheckVerdictRow.benefit_group == benefit_group)
    return Counter((device, verdict) for device, verdict in (await db.execute(query)).all())
