"""Administration: offices and their holidays, accounts and their set-password links, the
audit trail. Every change is audited in the transaction that makes it; an office
administrator (``Account.office_id`` set) manages their own office only.

Errors: ``booking.errors.InvalidOffice`` (an office's details), ``storage.accounts.AccountsError``
(an account's, with ``reason``), ``Forbidden``/``NotManaged`` for what the admin may not touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.availability import BERLIN
from booking.errors import InvalidOffice
from booking.offices import OfficeDetails, check_holiday
from storage import accounts, audit, offices, users
from storage.accounts import AccountsError, UserRow
from storage.models import AuditRow
from storage.offices import Holiday, OfficeView
from storage.passwords import Passwords
from storage.users import ROLES, Account

__all__ = [
    "ROLES",
    "Account",
    "AccountsError",
    "AuditPage",
    "Holiday",
    "NotManaged",
    "OfficeView",
    "UserRow",
    "add_holiday",
    "assign",
    "audit_page",
    "create_first_user",
    "create_office",
    "invite_by_operator",
    "password_link_by_name",
    "set_active_by_name",
    "holidays",
    "invite_user",
    "managed_office",
    "overview",
    "password_link_user",
    "remove_holiday",
    "reset_password",
    "set_active",
    "set_password",
    "update_office",
]

Db = async_sessionmaker[AsyncSession]
AUDIT_PAGE = 200


class NotManaged(LookupError):
    """The office or account does not exist, or lies outside what the admin manages."""

    code: ClassVar[str] = "not_found"


def manages(account: Account, office_id: int | None) -> bool:
    return account.office_id is None or office_id == account.office_id


async def overview(db: Db, account: Account) -> tuple[list[OfficeView], list[UserRow]]:
    """The offices and accounts ``account`` manages."""
    async with db() as session:
        return await offices.list_offices(session, account.office_id), await accounts.list_users(
            session, account.office_id
        )


# ---- offices ---------------------------------------------------------------------------


async def managed_office(db: Db, account: Account, office_id: int) -> OfficeView:
    if not manages(account, office_id):
        raise NotManaged()
    async with db() as session:
        office = await offices.get_office(session, office_id)
    if office is None:
        raise NotManaged()
    return office


async def holidays(db: Db, office_id: int, now: datetime) -> list[Holiday]:
    async with db() as session:
        return await offices.holidays_of(session, office_id, now.astimezone(BERLIN).date())


def _via(detail: str, via: str) -> str:
    """The audit detail, naming the command line when a change came from it."""
    return f"{detail} via={via}" if via else detail


async def create_office(db: Db, details: OfficeDetails, now: datetime, *, via: str = "") -> int:
    async with db.begin() as session:
        office_id = await offices.create_office(session, details)
        await audit.audit(session, "admin.office_created", now, _via(f"office={office_id}", via))
    return office_id


async def update_office(db: Db, office_id: int, details: OfficeDetails, now: datetime) -> None:
    async with db.begin() as session:
        await offices.update_office(session, office_id, details)
        await audit.audit(session, "admin.office_updated", now, f"office={office_id}")


async def add_holiday(db: Db, office_id: int, first_typed: str, last_typed: str, now: datetime) -> None:
    """A holiday from today on, at most a year long (``InvalidOffice`` with its reason)."""
    try:
        first = date.fromisoformat(first_typed)
        last = date.fromisoformat(last_typed or first_typed)
    except ValueError:
        raise InvalidOffice("holiday_format") from None
    check_holiday(first, last, now.astimezone(BERLIN).date())
    async with db.begin() as session:
        await offices.add_holiday(session, office_id, first, last)
        await audit.audit(session, "admin.holiday_added", now, f"office={office_id}")


async def remove_holiday(db: Db, office_id: int, holiday_id: int, now: datetime) -> None:
    async with db.begin() as session:
        if await offices.remove_holiday(session, office_id, holiday_id):
            await audit.audit(session, "admin.holiday_removed", now, f"office={office_id}")


# ---- accounts --------------------------------------------------------------------------


def office_choice(account: Account, raw: str) -> int | None:
    """The office an account is given: one the admin manages (``AccountsError("office")``)."""
    if not raw:
        if account.office_id is not None:
            raise AccountsError("office")
        return None
    try:
        office_id = int(raw)
    except ValueError:
        raise AccountsError("office") from None
    if not manages(account, office_id):
        raise AccountsError("office")
    return office_id


async def invite_user(
    db: Db,
    passwords: Passwords,
    account: Account,
    username: str,
    display_name: str,
    role: str,
    office: str,
    now: datetime,
) -> str:
    """A new account without a password; returns the token of its set-password link."""
    username = username.lower()
    if not username or len(username) > 100 or not all(c.isalnum() or c in ".-_" for c in username):
        raise AccountsError("username")
    if not display_name:
        raise AccountsError("display_name")
    office_id = office_choice(account, office)
    async with db.begin() as session:
        if office_id is not None and await offices.get_office(session, office_id) is None:
            raise AccountsError("office")
        created, token = await accounts.invite_user(session, passwords, username, display_name, role, office_id, now)
        await audit.audit(session, "admin.user_created", now, f"user={created.id} role={created.role}")
    return token


async def managed_user(db: Db, account: Account, user_id: int) -> UserRow:
    async with db() as session:
        user = await accounts.get_user(session, user_id)
    if user is None or not manages(account, user.office_id):
        raise NotManaged()
    return user


async def set_active(db: Db, account: Account, user_id: int, active: bool, now: datetime) -> None:
    """Deactivate (ending its logins) or reactivate; never the last active administrator."""
    user = await managed_user(db, account, user_id)
    async with db.begin() as session:
        await accounts.set_active(session, user.id, active)
        await audit.audit(session, f"admin.user_{'reactivate' if active else 'deactivate'}d", now, f"user={user.id}")


async def reset_password(db: Db, account: Account, user_id: int, now: datetime) -> str:
    user = await managed_user(db, account, user_id)
    async with db.begin() as session:
        token = await accounts.issue_password_link(session, user.id, now)
        await audit.audit(session, "admin.password_link", now, f"user={user.id}")
    return token


async def assign(db: Db, account: Account, user_id: int, role: str, office: str, now: datetime) -> None:
    user = await managed_user(db, account, user_id)
    office_id = office_choice(account, office)
    async with db.begin() as session:
        await accounts.assign(session, user.id, role, office_id)
        await audit.audit(session, "admin.user_assigned", now, f"user={user.id}")


async def password_link_user(db: Db, token: str, now: datetime) -> UserRow:
    async with db() as session:
        return await accounts.password_link_user(session, token, now)


async def set_password(db: Db, passwords: Passwords, token: str, password: str, now: datetime) -> None:
    async with db.begin() as session:
        user = await accounts.use_password_link(session, passwords, token, password, now)
        await audit.audit(session, "password.set", now, f"user={user.id}")


# ---- the command line (``videoberatung office-create``, ``user-invite``, ...) -------------


async def invite_by_operator(
    db: Db, passwords: Passwords, username: str, display_name: str, role: str, office_id: int | None, now: datetime
) -> str:
    """An account made by the operator on the server; returns its set-password token."""
    async with db.begin() as session:
        created, token = await accounts.invite_user(session, passwords, username, display_name, role, office_id, now)
        await audit.audit(session, "admin.user_created", now, _via(f"user={created.id} role={created.role}", "cli"))
    return token


async def _user_id(session: AsyncSession, username: str) -> int:
    for user in await accounts.list_users(session, None):
        if user.username == username.strip().lower():
            return user.id
    raise AccountsError("unknown")


async def set_active_by_name(db: Db, username: str, active: bool, now: datetime) -> None:
    async with db.begin() as session:
        user = await accounts.set_active(session, await _user_id(session, username), active)
        event = f"admin.user_{'re' if active else 'de'}activated"
        await audit.audit(session, event, now, _via(f"user={user.id}", "cli"))


async def password_link_by_name(db: Db, username: str, now: datetime) -> str:
    async with db.begin() as session:
        user_id = await _user_id(session, username)
        token = await accounts.issue_password_link(session, user_id, now)
        await audit.audit(session, "admin.password_link", now, _via(f"user={user_id}", "cli"))
    return token


async def create_first_user(
    db: Db,
    passwords: Passwords,
    username: str,
    password: str,
    role: str,
    display_name: str,
    now: datetime,
    *,
    if_none: bool,
) -> bool:
    """``videoberatung create-user``: an account with a password; with ``if_none`` only
    when there is no account yet (False then)."""
    async with db.begin() as session:
        if if_none and await users.count_users(session) > 0:
            return False
        await users.create_user(session, passwords, username, password, display_name=display_name, role=role, now=now)
    return True


# ---- the audit trail -------------------------------------------------------------------


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older: int | None  # the id to page on from, if there are more


async def audit_page(db: Db, before: int | None, office_id: int | None = None) -> AuditPage:
    """The newest ``AUDIT_PAGE`` entries (before the id given): of ``office_id`` only, or
    of every office (and of none) for an admin without an office."""
    stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(AUDIT_PAGE)
    if office_id is not None:
        stmt = stmt.where(AuditRow.office_id == office_id)
    if before is not None:
        stmt = stmt.where(AuditRow.id < before)
    async with db() as session:
        rows = list(await session.scalars(stmt))
    return AuditPage(rows, rows[-1].id if len(rows) == AUDIT_PAGE else None)
