"""The end of a call: the caseworker records the outcome (every page hears it), and each
admitted participant gets one feedback link once the session is settled on a channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.notifier import Notifier
from feedback.tokens import FeedbackContext, channel_for_outcome, looks_like_token, month_of
from rooms.session import Admission, CounselSession, Outcome, SessionState
from storage import feedback as feedback_store
from storage import sessions
from storage.sessions import Participant

__all__ = ["rating_context", "record_outcome", "feedback_token"]

Sessions = async_sessionmaker[AsyncSession]


def rating_context(session: CounselSession) -> FeedbackContext | None:
    """What an answer about ``session`` may carry; None when there is nothing to rate."""
    channel = channel_for_outcome(session.outcome.value if session.outcome else None)
    if channel is None or session.ended_at is None:
        return None
    return FeedbackContext(session.group.value, session.office_id, channel, month_of(session.ended_at))


async def record_outcome(
    db: Sessions, notifier: Notifier, caseworker_id: int, session_id: str, outcome: Outcome, moment: datetime
) -> CounselSession | None:
    """End the session with its outcome; every page of the session learns it has ended.
    None when the session is not this caseworker's."""
    async with db.begin() as tx:
        session = await sessions.get_session(tx, session_id, for_update=True)
        if session.caseworker_id != caseworker_id:
            return None
        session.end(outcome, moment)
        await sessions.save_session(tx, session)
    await notifier.session_ended(session_id, outcome)
    return session


async def feedback_token(
    db: Sessions, session: CounselSession, participant: Participant, remembered: str, moment: datetime
) -> str | None:
    """The participant's one feedback token, minted once the session is settled on a channel.

    Minted lazily, once per participant; the plaintext lives only in the link and in a
    cookie (``remembered``), so a reload shows the same link again."""
    context = rating_context(session) if session.state is SessionState.ENDED else None
    if context is None or participant.admission is not Admission.ADMITTED:
        return None
    async with db.begin() as tx:
        token = await feedback_store.offer_token(tx, participant.id, context, moment)
    if token is None and looks_like_token(remembered):
        token = remembered
    return token
