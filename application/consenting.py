"""The recipient's way into the call after the link: consent, then the waiting room."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.attempts import log_event
from consent.records import ALL_SCOPES, Scope
from consent.texts import ConsentText
from rooms import waiting_estimate
from rooms.attempts import EventKind
from storage import consents, sessions
from storage.sessions import Participant

__all__ = ["give_consent", "record_consent", "enter_waiting_room"]

Sessions = async_sessionmaker[AsyncSession]


async def give_consent(db: Sessions, participant: Participant, text: ConsentText, moment: datetime) -> None:
    """Record consent to ``text`` (once: a second submit changes nothing)."""
    async with db.begin() as tx:
        if await consents.current_consent(tx, participant.id) is not None:
            return
        await record_consent(tx, participant, moment, text.version, text.sha256, text.language, ALL_SCOPES)
        await log_event(tx, participant, EventKind.CONSENT, moment, "given")


async def record_consent(
    tx: AsyncSession,
    participant: Participant,
    moment: datetime,
    version: str,
    sha256: str,
    language: str,
    scopes: frozenset[Scope],
) -> None:
    """A consent record of ``participant`` to the text ``version`` (its SHA-256 and language)
    for ``scopes``: the first consent, and the third person's scope added later."""
    await consents.record_consent(
        tx,
        participant_id=participant.id,
        session_id=participant.session_id,
        role=participant.role,
        now=moment,
        text_version=version,
        text_sha256=sha256,
        language=language,
        scopes=scopes,
    )


async def enter_waiting_room(db: Sessions, participant: Participant, caseworker_id: int, moment: datetime) -> float:
    """Log the wait; the caseworker's recent pace in minutes per person, for the estimate."""
    async with db.begin() as tx:
        await log_event(tx, participant, EventKind.WAITING, moment)
    async with db() as tx:
        ends = await sessions.recent_ends(tx, caseworker_id, moment - waiting_estimate.HISTORY)
    return waiting_estimate.minutes_per_person(ends)
