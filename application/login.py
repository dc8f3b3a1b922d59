"""Staff login and logout: per-name attempt counting, the password check, the login session.

The per-address throttle and the metrics stay at the edge; what is decided here is what
the accounts table and the audit log must show.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, login_throttle, users
from storage.passwords import Passwords
from storage.users import Account

__all__ = [
    "Account",
    "LOGIN_LIFETIME",
    "Refusal",
    "LoggedIn",
    "log_in",
    "log_out",
    "logged_in",
    "Passwords",
]

Sessions = async_sessionmaker[AsyncSession]
# (password hash, password) -> whether they match; run off the event loop by the edge.
Verify = Callable[[str, str], Awaitable[bool]]
LOGIN_LIFETIME: timedelta = users.LOGIN_SESSION_LIFETIME


class Refusal(enum.Enum):
    """Why a login was refused."""

    LOCKED = "locked"  # too many failed attempts for this user name
    WRONG = "wrong"  # unknown name or wrong password


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    token: str


async def log_in(
    db: Sessions, passwords: Passwords, verify: Verify, username: str, password: str, moment: datetime
) -> LoggedIn | Refusal:
    """Check a password; at most ``MAX_ATTEMPTS`` are ever checked per user name in a window.

    ``verify`` checks with ``passwords`` off the event loop (the edge's thread pool)."""
    async with db.begin() as tx:
        # Counted before the password is checked, in one statement: concurrent attempts
        # count exactly.
        attempt = await login_throttle.take_attempt(tx, username, moment)
        if attempt == login_throttle.MAX_ATTEMPTS + 1:  # audited once per lock, not per attempt
            await audit.audit(tx, "login.throttled", moment)
    if attempt > login_throttle.MAX_ATTEMPTS:
        return Refusal.LOCKED
    async with db() as tx:
        account, password_hash = await users.credentials(tx, passwords, username)
    # An unknown name is checked against a dummy hash of equal cost.
    verified = await verify(password_hash, password)
    if account is None or not verified:
        async with db.begin() as tx:
            await audit.audit(tx, "login.failed", moment)
        return Refusal.WRONG
    async with db.begin() as tx:
        await login_throttle.clear(tx, username)
        token, _csrf = await users.open_login_session(tx, account, moment)
        await audit.audit(tx, "login.ok", moment, f"role={account.role}", office_id=account.office_id)
    return LoggedIn(account, token)


async def log_out(db: Sessions, token: str, moment: datetime) -> None:
    async with db.begin() as tx:
        await users.close_login_session(tx, token)
        await audit.audit(tx, "logout", moment)


async def logged_in(db: Sessions, token: str, moment: datetime) -> tuple[Account, str] | None:
    """The account behind a login cookie and its CSRF token, or None (unknown or expired)."""
    async with db() as session:
        return await users.find_login_session(session, token, moment)
