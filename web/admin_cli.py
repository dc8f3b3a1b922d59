"""Administration from the command line: offices, accounts, one-time password links.

The same storage functions as the admin pages; the one-time link is printed once to the
terminal of whoever ran the command; without ``PUBLIC_URL`` (the link's address) the
commands that print a link refuse, naming it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from booking.errors import InvalidOffice
from booking.offices import parse_office
from storage import accounts, audit, offices
from storage.db import create_engine, sessionmaker_for
from storage.users import ROLES
from web.settings import Settings

__all__ = ["add_commands", "run", "COMMANDS"]

COMMANDS = ("office-create", "user-invite", "user-deactivate", "user-reactivate", "password-link")


def add_commands(commands: Any) -> None:
    office = commands.add_parser("office-create", help="create an office (name, address, phone)")
    office.add_argument("name")
    office.add_argument("--address", required=True, help='"Musterstraße 1, 12345 Musterstadt"')
    office.add_argument("--phone", default="")
    office.add_argument("--no-caseworker-choice", action="store_true", help="people book any free caseworker")
    invite = commands.add_parser(
        "user-invite", help="create an account and print its one-time password link (needs PUBLIC_URL)"
    )
    invite.add_argument("username")
    invite.add_argument("--name", required=True, help="display name")
    invite.add_argument("--role", choices=ROLES, default="caseworker")
    invite.add_argument("--office", type=int, help="office id (admins without one manage every office)")
    for name, what in (("user-deactivate", "deactivate"), ("user-reactivate", "reactivate")):
        cmd = commands.add_parser(name, help=f"{what} an account by user name")
        cmd.add_argument("username")
    link = commands.add_parser(
        "password-link", help="print a new one-time password link for an account (needs PUBLIC_URL)"
    )
    link.add_argument("username")


def _link(settings: Settings, token: str) -> str:
    base = (settings.public_url or "").rstrip("/")
    return f"{base}/password/{token}"


async def _with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[str]]) -> str:
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with sessionmaker_for(engine).begin() as db:
            return await work(db)
    finally:
        await engine.dispose()


async def _user_id(db: AsyncSession, username: str) -> int:
    for user in await accounts.list_users(db, None):
        if user.username == username.strip().lower():
            return user.id
    raise accounts.AccountsError("unknown")


def run(args: argparse.Namespace, settings: Settings) -> int:
    moment = settings.clock()
    if args.command in ("user-invite", "password-link") and not settings.public_url:
        # A relative "/password/…" is no link anyone can open: refuse before creating anything.
        print(
            "PUBLIC_URL is not set: the one-time link needs the public address, "
            "e.g. PUBLIC_URL=https://termine.example.de",
            file=sys.stderr,
        )
        return 2

    async def office_create(db: AsyncSession) -> str:
        details = parse_office(args.name, args.address, args.phone, {}, not args.no_caseworker_choice)
        office_id = await offices.create_office(db, details)
        await audit.audit(db, "admin.office_created", moment, f"office={office_id} via=cli")
        return f"office {office_id} created"

    async def user_invite(db: AsyncSession) -> str:
        account, token = await accounts.invite_user(db, args.username, args.name, args.role, args.office, moment)
        await audit.audit(db, "admin.user_created", moment, f"user={account.id} role={account.role} via=cli")
        return f"one-time password link (72 h): {_link(settings, token)}"

    async def set_active(db: AsyncSession) -> str:
        active = args.command == "user-reactivate"
        user = await accounts.set_active(db, await _user_id(db, args.username), active)
        await audit.audit(db, f"admin.user_{'re' if active else 'de'}activated", moment, f"user={user.id} via=cli")
        return "reactivated" if active else "deactivated"

    async def password_link(db: AsyncSession) -> str:
        user_id = await _user_id(db, args.username)
        token = await accounts.issue_password_link(db, user_id, moment)
        await audit.audit(db, "admin.password_link", moment, f"user={user_id} via=cli")
        return f"one-time password link (72 h): {_link(settings, token)}"

    work = {
        "office-create": office_create,
        "user-invite": user_invite,
        "user-deactivate": set_active,
        "user-reactivate": set_active,
        "password-link": password_link,
    }[args.command]
    try:
        print(asyncio.run(_with_db(settings, work)))
    except InvalidOffice as exc:
        print(f"invalid office: {exc.reason}", file=sys.stderr)
        return 2
    except accounts.AccountsError as exc:
        print(f"not possible: {exc.reason}", file=sys.stderr)
        return 2
    return 0
