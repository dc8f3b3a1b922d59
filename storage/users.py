"""Accounts, login sessions and failed-login throttling."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import login_throttle
from storage.models import LoginSession, Office, User
from storage.passwords import Passwords

__all__ = [
    "Account",
    "hash_token",
    "ROLES",
    "create_user",
    "count_users",
    "authenticate",
    "open_login_session",
    "find_login_session",
    "close_login_session",
    "credentials",
    "throttle_locked_until",
    "record_login_failure",
    "clear_login_failures",
    "ensure_default_office",
    "set_password",
]

ROLES = ("caseworker", "evaluator", "admin")

LOGIN_SESSION_LIFETIME = timedelta(hours=10)
THROTTLE_WINDOW = login_throttle.WINDOW
THROTTLE_MAX_FAILURES = login_throttle.MAX_ATTEMPTS
THROTTLE_LOCK = login_throttle.LOCK


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    office_id: int | None


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name, user.role, user.office_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def ensure_default_office(db: AsyncSession, name: str = "Jobcenter") -> int:
    office_id = await db.scalar(select(Office.id).order_by(Office.id).limit(1))
    if office_id is None:
        office = Office(name=name, address="")
        db.add(office)
        await db.flush()
        office_id = office.id
    return office_id


async def create_user(
    db: AsyncSession,
    passwords: Passwords,
    username: str,
    password: str,
    *,
    display_name: str,
    role: str,
    now: datetime,
    office_id: int | None = None,
) -> Account:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if office_id is None and role != "admin":
        # An administrator without an office manages every office.
        office_id = await ensure_default_office(db)
    user = User(
        username=username.strip().lower(),
        display_name=display_name,
        password_hash=passwords.hash(password),
        role=role,
        office_id=office_id,
        created_at=now,
    )
    db.add(user)
    await db.flush()
    return _account(user)


async def count_users(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(User)) or 0)


async def credentials(db: AsyncSession, passwords: Passwords, username: str) -> tuple[Account | None, str]:
    """The account and its password hash; an unknown name gets a dummy hash of the same cost."""
    user = await db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        # A deactivated account costs the same as an unknown name and never logs in.
        return None, passwords.dummy_hash
    return _account(user), user.password_hash


async def authenticate(db: AsyncSession, passwords: Passwords, username: str, password: str) -> Account | None:
    """Check a password on the calling thread (command line only; the web uses ``credentials``)."""
    account, password_hash = await credentials(db, passwords, username)
    return account if passwords.verify(password_hash, password) and account else None


async def set_password(db: AsyncSession, passwords: Passwords, user_id: int, password: str) -> None:
    user = await db.get(User, user_id)
    if user is None:
        raise ValueError("unknown user")
    user.password_hash = passwords.hash(password)
    await db.flush()


async def open_login_session(db: AsyncSession, account: Account, now: datetime) -> tuple[str, str]:
    """Return (cookie token, csrf token); only the token's hash is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            token_hash=hash_token(token),
            user_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + LOGIN_SESSION_LIFETIME,
        )
    )
    await db.flush()
    return token, csrf


async def find_login_session(db: AsyncSession, token: str, now: datetime) -> tuple[Account, str] | None:
    row = await db.execute(
        select(User, LoginSession.csrf_token)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == hash_token(token), LoginSession.expires_at > now, User.active)
    )
    found = row.first()
    if found is None:
        return None
    return _account(found[0]), found[1]


async def close_login_session(db: AsyncSession, token: str) -> None:
    await db.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))


async def throttle_locked_until(db: AsyncSession, username: str, now: datetime) -> datetime | None:
    return await login_throttle.locked_until(db, username, now)


async def record_login_failure(db: AsyncSession, username: str, now: datetime) -> None:
    """Count one failed attempt (atomically; see ``storage.login_throttle``)."""
    await login_throttle.take_attempt(db, username, now)


async def clear_login_failures(db: AsyncSession, username: str) -> None:
    await login_throttle.clear(db, username)
