"""The attempt log and the proof of a failed attempt: steps and reported events are
recorded per participant; the caseworker reads the log; a failed attempt earns a proof."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.notifier import Notifier
from rooms.attempts import AttemptEvent, EventKind, assess
from rooms.errors import NoFailedAttempt
from rooms.proof import ProofFacts, facts_for
from rooms.session import CounselSession
from storage import attempts, sessions
from storage.availability import office_info
from storage.sessions import Participant

__all__ = [
    "log_event",
    "report_event",
    "has_failed",
    "issue_proof",
    "AttemptLog",
    "attempt_log",
    "unsupported_browser",
]

Sessions = async_sessionmaker[AsyncSession]


async def log_event(
    db: AsyncSession, participant: Participant, kind: EventKind, at: datetime, detail: str = ""
) -> bool:
    """Record a step (link opened, consent, waiting, admitted, proof issued) or a reported event."""
    return await attempts.record(db, participant.session_id, participant.id, participant.role, kind, at, detail)


async def _reporter(
    tx: AsyncSession, session_id: str, caseworker_id: int | None, cookie: tuple[str, str] | None
) -> Participant | None:
    """Who reports: the caseworker of the session, or the participant behind the cookie."""
    if caseworker_id is not None:
        session = await sessions.get_session(tx, session_id)
        if session.caseworker_id == caseworker_id:
            for participant in await sessions.participants_of(tx, session_id):
                if participant.role == "caseworker":
                    return participant
    if cookie is not None:
        found = await sessions.find_participant(tx, *cookie)
        if found is not None and found.session_id == session_id:
            return found
    return None


async def report_event(
    db: Sessions,
    notifier: Notifier,
    session_id: str,
    caseworker_id: int | None,
    cookie: tuple[str, str] | None,
    kind: EventKind,
    detail: str,
    moment: datetime,
) -> bool | None:
    """A page's event; None when the reporter is nobody of this session. A browser that
    cannot make video calls (``browser``) is told to the caseworker's call page too."""
    async with db.begin() as tx:
        participant = await _reporter(tx, session_id, caseworker_id, cookie)
        if participant is None:
            return None
        stored = await log_event(tx, participant, kind, moment, detail)
    if stored and kind is EventKind.BROWSER and participant.role != "caseworker":
        await notifier.peer_unsupported(session_id, participant.id, detail)
    return stored


async def unsupported_browser(db: Sessions, caseworker_id: int, session_id: str) -> str | None:
    """What the other side's browser lacks (its class) when the last browser it used could
    not make video calls; None when it could, as far as the log knows, or when the session
    is not this caseworker's."""
    async with db() as tx:
        session = await sessions.get_session(tx, session_id)
        if session.caseworker_id != caseworker_id:
            return None
        events = await attempts.events_of(tx, session_id)
    lacking: dict[str, str | None] = {}
    for participant_id, event in events:
        if event.role == "caseworker":
            continue
        if event.kind is EventKind.BROWSER:
            lacking[participant_id] = event.detail
        elif event.kind in (EventKind.LINK_OPENED, EventKind.CONNECTION, EventKind.CHECK, EventKind.MEDIA_ERROR):
            lacking[participant_id] = None  # a browser that got further (or a new one)
    return next((reason for reason in lacking.values() if reason), None)


async def has_failed(db: Sessions, session_id: str, participant_id: str) -> bool:
    """Whether this participant's attempt failed (then a proof can be had)."""
    async with db() as tx:
        own = [e for _pid, e in await attempts.events_of(tx, session_id, participant_id)]
    return assess(own).failed


async def issue_proof(db: Sessions, session: CounselSession, participant: Participant, moment: datetime) -> ProofFacts:
    """The facts of a failed attempt, for a signed proof; the issue is logged."""
    async with db.begin() as tx:
        own = [e for _pid, e in await attempts.events_of(tx, session.id, participant.id)]
        assessment = assess(own)
        if not assessment.failed:
            raise NoFailedAttempt(session.id)
        office = await office_info(tx, session.office_id)
        facts = facts_for(
            assessment, now=moment, office=office.name, session_id=session.id, scheduled_at=session.scheduled_at
        )
        await log_event(tx, participant, EventKind.PROOF_ISSUED, moment)
    return facts


@dataclass(frozen=True)
class AttemptLog:
    session: CounselSession
    # Per participant in order: (role, their events).
    people: list[tuple[str, list[AttemptEvent]]]


async def attempt_log(db: Sessions, caseworker_id: int, session_id: str) -> AttemptLog | None:
    """The session's attempt log per participant; None when it is not this caseworker's."""
    async with db() as tx:
        session = await sessions.get_session(tx, session_id)
        if session.caseworker_id != caseworker_id:
            return None
        participants = await sessions.participants_of(tx, session_id)
        events = await attempts.events_of(tx, session_id)
    return AttemptLog(session, [(p.role, [e for pid, e in events if pid == p.id]) for p in participants])
