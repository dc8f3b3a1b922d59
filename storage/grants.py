"""What a signalling connect may do, answered in one query each.

A socket connects often (page loads, reconnects, a node failing over), so each kind of
connect reads everything it needs in a single round trip and writes nothing; the
signalling server decides from the returned facts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.session import JOINABLE_STATES, Admission, SessionState
from rooms.third import THIRD_ROLES
from storage.models import ConsentRow, CounselSessionRow, LoginSession, ParticipantRow, User
from storage.sessions import hash_secret
from storage.users import hash_token

__all__ = ["StaffGrant", "RecipientGrant", "staff_grant", "recipient_grant"]

# Who connects with a participant cookie: the recipient and a third person.
_GUEST_ROLES = ("recipient", *sorted(THIRD_ROLES))


@dataclass(frozen=True, slots=True)
class StaffGrant:
    """A logged-in account and, when a session was asked for, that session as the account sees it."""

    account_id: int
    role: str
    session_state: SessionState | None  # None: no such session, or not this account's
    participant_id: str | None  # the session's caseworker participant, if made yet
    login_expires_at: datetime | None = None  # when the login behind the cookie expires

    @property
    def session_joinable(self) -> bool:
        return self.session_state in JOINABLE_STATES


@dataclass(frozen=True, slots=True)
class RecipientGrant:
    participant_id: str
    session_id: str
    caseworker_id: int
    admission: Admission
    session_state: SessionState
    consented: bool  # holds a consent record that is not withdrawn
    role: str = "recipient"  # or a third person: "interpreter", "companion"

    @property
    def session_joinable(self) -> bool:
        return self.session_state in JOINABLE_STATES


async def staff_grant(db: AsyncSession, token: str, session_id: str | None, now: datetime) -> StaffGrant | None:
    """The account behind a login cookie, with its own session ``session_id``; None if not logged in."""
    if session_id is None:
        account = (
            await db.execute(
                select(User.id, User.role, LoginSession.expires_at)
                .join(LoginSession, LoginSession.user_id == User.id)
                .where(LoginSession.token_hash == hash_token(token), LoginSession.expires_at > now)
            )
        ).first()
        return None if account is None else StaffGrant(account[0], account[1], None, None, account[2])
    own = and_(CounselSessionRow.id == session_id, CounselSessionRow.caseworker_id == User.id)
    row = (
        await db.execute(
            select(User.id, User.role, CounselSessionRow.state, ParticipantRow.id, LoginSession.expires_at)
            .join(LoginSession, LoginSession.user_id == User.id)
            .outerjoin(CounselSessionRow, own)
            .outerjoin(
                ParticipantRow,
                and_(ParticipantRow.session_id == CounselSessionRow.id, ParticipantRow.role == "caseworker"),
            )
            .where(LoginSession.token_hash == hash_token(token), LoginSession.expires_at > now)
            .order_by(ParticipantRow.created_at)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    state = SessionState(row[2]) if row[2] is not None else None
    return StaffGrant(row[0], row[1], state, row[3], row[4])


async def recipient_grant(db: AsyncSession, participant_id: str, secret: str) -> RecipientGrant | None:
    """The recipient behind a participant cookie; None when the cookie is not (or no longer) valid."""
    consented = exists().where(ConsentRow.participant_id == ParticipantRow.id, ConsentRow.withdrawn_at.is_(None))
    row = (
        await db.execute(
            select(
                ParticipantRow.secret_hash,
                ParticipantRow.session_id,
                ParticipantRow.admission,
                CounselSessionRow.caseworker_id,
                CounselSessionRow.state,
                consented.label("consented"),
                ParticipantRow.role,
            )
            .join(CounselSessionRow, CounselSessionRow.id == ParticipantRow.session_id)
            .where(ParticipantRow.id == participant_id, ParticipantRow.role.in_(_GUEST_ROLES))
        )
    ).first()
    if row is None or not secrets.compare_digest(row[0], hash_secret(secret)):
        return None
    return RecipientGrant(participant_id, row[1], row[3], Admission(row[2]), SessionState(row[4]), bool(row[5]), row[6])
