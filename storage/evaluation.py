"""Rows the evaluation's grid is planned from (``application.reporting`` plans it).

Every row is read whole, with no office or month filter: the suppression is planned over
the whole grid of offices x months (``feedback.grid``), never per request. ``data_state``
is a cheap fingerprint of these tables, so a planned grid is kept until the data change.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.grid_figures import NO_OFFICE, Ballot
from feedback.months import month_of
from feedback.questionnaire import Answers, Rating
from storage.models import (
    CaseworkerRatingRow,
    CheckVerdictRow,
    CounselSessionRow,
    FeedbackOfferCountRow,
    FeedbackResponseRow,
    Office,
)
from storage.rows import from_row

__all__ = ["ballots", "offers", "sessions", "ratings", "checks", "office_ids", "data_state"]

OfficeMonth = tuple[int, str]


async def ballots(db: AsyncSession, groups: Sequence[str]) -> dict[str, list[Ballot]]:
    """Every moved answer of the groups, as the grid sees it (office 0: none)."""
    found: dict[str, list[Ballot]] = {g: [] for g in groups}
    rows = await db.scalars(select(FeedbackResponseRow).where(FeedbackResponseRow.benefit_group.in_(tuple(groups))))
    for r in rows:
        found[r.benefit_group].append(
            Ballot(r.office_id or NO_OFFICE, r.month, r.channel, r.questionnaire_version, from_row(Answers, r))
        )
    return found


async def offers(db: AsyncSession, groups: Sequence[str]) -> dict[str, dict[tuple[int, str, str], int]]:
    """Offered links per (office, month, channel) of each group: the counters as stored."""
    found: dict[str, dict[tuple[int, str, str], int]] = {g: {} for g in groups}
    stmt = select(FeedbackOfferCountRow).where(FeedbackOfferCountRow.benefit_group.in_(tuple(groups)))
    for r in await db.scalars(stmt):
        found[r.benefit_group][(int(r.office_key), r.month, r.channel)] = int(r.offers)
    return found


async def sessions(db: AsyncSession, groups: Sequence[str]) -> dict[str, list[tuple[int, str, str]]]:
    """(office, Berlin month it ended, outcome) of each group's settled sessions."""
    found: dict[str, list[tuple[int, str, str]]] = {g: [] for g in groups}
    stmt = select(
        CounselSessionRow.benefit_group,
        CounselSessionRow.office_id,
        CounselSessionRow.ended_at,
        CounselSessionRow.outcome,
    ).where(
        CounselSessionRow.benefit_group.in_(tuple(groups)),
        CounselSessionRow.outcome.is_not(None),
        CounselSessionRow.ended_at.is_not(None),
    )
    for group, office, ended, outcome in (await db.execute(stmt)).all():
        if ended is not None:
            found[str(group)].append((int(office or 0), month_of(ended), str(outcome)))
    return found


async def ratings(db: AsyncSession, groups: Sequence[str]) -> dict[str, list[tuple[int, str, Rating]]]:
    """(office, month, rating) of each group's caseworker ratings."""
    found: dict[str, list[tuple[int, str, Rating]]] = {g: [] for g in groups}
    stmt = select(CaseworkerRatingRow).where(CaseworkerRatingRow.benefit_group.in_(tuple(groups)))
    for r in await db.scalars(stmt):
        found[r.benefit_group].append((r.office_id or 0, r.month, Rating(r.effort, r.technical_quality)))
    return found


async def checks(db: AsyncSession, groups: Sequence[str]) -> dict[str, list[tuple[str, str, str]]]:
    """(month, device class, verdict) of each group's pre-call checks (they carry no office)."""
    found: dict[str, list[tuple[str, str, str]]] = {g: [] for g in groups}
    stmt = select(
        CheckVerdictRow.benefit_group, CheckVerdictRow.month, CheckVerdictRow.device_class, CheckVerdictRow.verdict
    ).where(CheckVerdictRow.benefit_group.in_(tuple(groups)))
    for group, month, device, verdict in (await db.execute(stmt)).all():
        found[str(group)].append((str(month), str(device), str(verdict)))
    return found


async def office_ids(db: AsyncSession) -> list[int]:
    return [int(i) for i in await db.scalars(select(Office.id))]


async def data_state(db: AsyncSession) -> tuple[object, ...]:
    """A fingerprint of everything the grid is planned from: counts, sums and extremes
    of each table (answer ids are random, so a replaced answer changes them)."""
    answers = select(func.count(), func.min(FeedbackResponseRow.id), func.max(FeedbackResponseRow.id))
    rated = select(func.count(), func.min(CaseworkerRatingRow.id), func.max(CaseworkerRatingRow.id))
    offered = select(
        func.count(), func.sum(FeedbackOfferCountRow.offers), func.min(FeedbackOfferCountRow.month),
        func.max(FeedbackOfferCountRow.month),
    )  # fmt: skip
    settled = select(func.count(), func.min(CounselSessionRow.id), func.max(CounselSessionRow.id)).where(
        CounselSessionRow.outcome.is_not(None), CounselSessionRow.ended_at.is_not(None)
    )
    checked = select(func.count(), func.min(CheckVerdictRow.id), func.max(CheckVerdictRow.id))
    offices = select(func.count(), func.max(Office.id))
    state: list[object] = []
    for stmt in (answers, rated, offered, settled, checked, offices):
        state.extend((await db.execute(stmt)).one())
    return tuple(state)
