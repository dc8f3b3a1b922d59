"""Accounts as administrators manage them: one-time password links, (de)activation,
role and office. No password is ever chosen, shown or mailed by anyone but its owner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.domain_errors import Reasoned
from storage.models import LoginSession, PasswordLinkRow, User
from storage.passwords import Passwords
from storage.rows import by_key, from_row, get_as, narrowed
from storage.users import ROLES, Account, create_user, hash_token, set_password

__all__ = [
    "AccountsError",
    "UserRow",
    "PASSWORD_LINK_LIFETIME",
    "MIN_PASSWORD_LENGTH",
    "list_users",
    "get_user",
    "invite_user",
    "issue_password_link",
    "password_link_user",
    "use_password_link",
    "set_active",
    "assign",
]

PASSWORD_LINK_LIFETIME = timedelta(hours=72)
MIN_PASSWORD_LENGTH = 12


class AccountsError(Reasoned):
    """``reason``: username_taken, last_admin, unknown, role, link_invalid, password_short."""


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    office_id: int | None
    active: bool


def _row(user: User) -> UserRow:
    return from_row(UserRow, user)


async def list_users(db: AsyncSession, office_id: int | None) -> list[UserRow]:
    """Users of one office, or of every office when ``office_id`` is None."""
    users = await db.scalars(narrowed(select(User).order_by(User.username), User.office_id, office_id))
    return [_row(u) for u in users]


async def get_user(db: AsyncSession, user_id: int) -> UserRow | None:
    return await get_as(db, User, user_id, _row)


async def issue_password_link(db: AsyncSession, user_id: int, now: datetime) -> str:
    """A fresh one-time token (earlier unused ones die); only its hash is stored."""
    # Earlier links of this account, and anybody's expired ones, go now.
    await db.execute(
        delete(PasswordLinkRow).where(or_(PasswordLinkRow.user_id == user_id, PasswordLinkRow.expires_at <= now))
    )
    token = secrets.token_urlsafe(32)
    db.add(PasswordLinkRow(token_hash=hash_token(token), user_id=user_id, expires_at=now + PASSWORD_LINK_LIFETIME))
    await db.flush()
    return token


async def invite_user(
    db: AsyncSession,
    passwords: Passwords,
    username: str,
    display_name: str,
    role: str,
    office_id: int | None,
    now: datetime,
) -> tuple[Account, str]:
    """A new account without a usable password, and its one-time set-password token."""
    username = username.strip().lower()
    if role not in ROLES:
        raise AccountsError("role")
    if await db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountsError("username_taken")
    # Nobody knows this password: the account is usable only after the link was used.
    account = await create_user(
        db,
        passwords,
        username,
        secrets.token_urlsafe(32),
        display_name=display_name,
        role=role,
        now=now,
        office_id=office_id,
    )
    return account, await issue_password_link(db, account.id, now)


async def password_link_user(db: AsyncSession, token: str, now: datetime) -> UserRow:
    row = await db.get(PasswordLinkRow, hash_token(token))
    if row is None or row.expires_at <= now:
        raise AccountsError("link_invalid")
    user = await db.get(User, row.user_id)
    if user is None or not user.active:
        raise AccountsError("link_invalid")
    return _row(user)


async def use_password_link(
    db: AsyncSession, passwords: Passwords, token: str, password: str, now: datetime
) -> UserRow:
    """Set the password and spend the link; every open login of the account ends."""
    user = await password_link_user(db, token, now)
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1024:
        raise AccountsError("password_short")
    spent = await db.execute(delete(PasswordLinkRow).where(PasswordLinkRow.token_hash == hash_token(token)))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountsError("link_invalid")  # used concurrently
    await set_password(db, passwords, user.id, password)
    await _end_logins(db, user.id)
    return user


async def _end_logins(db: AsyncSession, user_id: int) -> None:
    """Every login of the account ends."""
    await db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


async def _other_active_admins(db: AsyncSession, user_id: int) -> int:
    return int(
        await db.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active, User.id != user_id)
        )
        or 0
    )


async def set_active(db: AsyncSession, user_id: int, active: bool) -> UserRow:
    """Deactivate (ends every login, spends every password link) or reactivate."""
    user = await by_key(db, User, user_id, AccountsError("unknown"), for_update=True)
    if not active and user.role == "admin" and user.active and await _other_active_admins(db, user.id) == 0:
        raise AccountsError("last_admin")
    user.active = active
    if not active:
        await _end_logins(db, user.id)
        await db.execute(delete(PasswordLinkRow).where(PasswordLinkRow.user_id == user.id))
    await db.flush()
    return _row(user)


async def assign(db: AsyncSession, user_id: int, role: str, office_id: int | None) -> UserRow:
    """Change role and office; the last active administrator keeps the role."""
    if role not in ROLES:
        raise AccountsError("role")
    user = await by_key(db, User, user_id, AccountsError("unknown"), for_update=True)
    if user.role == "admin" and role != "admin" and user.active and await _other_active_admins(db, user.id) == 0:
        raise AccountsError("last_admin")
    if user.role != role:
        # A new role starts with a fresh login, so no page keeps the old one's rights.
        await _end_logins(db, user.id)
    user.role = role
    user.office_id = office_id
    await db.flush()
    return _row(user)
