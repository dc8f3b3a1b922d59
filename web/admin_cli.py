"""Administration from the command line: offices, accounts, one-time password links.

The same use cases as the admin pages (``application.administration``); the one-time
link is printed once to the terminal of whoever ran the command; without ``PUBLIC_URL``
(the link's address) the commands that print a link refuse, naming it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application import administration as admin
from application.administration import ROLES, AccountsError
from application.database import opened
from booking.errors import InvalidOffice
from booking.offices import parse_office
from web.passwords import passwords_for
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


async def _with_db(settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[str]]) -> str:
    async with opened(settings.database_url, settings.database_schema) as db:
        return await work(db)


def run(args: argparse.Namespace, settings: Settings) -> int:
    moment = settings.clock()
    Db = async_sessionmaker[AsyncSession]
    if args.command in ("user-invite", "password-link") and not settings.public_url:
        # A relative "/password/…" is no link anyone can open: refuse before creating anything.
        print(
            "PUBLIC_URL is not set: the one-time link needs the public address, "
            "e.g. PUBLIC_URL=https://termine.example.de",
            file=sys.stderr,
        )
        return 2

    async def office_create(db: Db) -> str:
        details = parse_office(args.name, args.address, args.phone, {}, not args.no_caseworker_choice)
        office_id = await admin.create_office(db, details, moment, via="cli")
        return f"office {office_id} created"

    async def user_invite(db: Db) -> str:
        token = await admin.invite_by_operator(
            db, passwords_for(settings), args.username, args.name, args.role, args.office, moment
        )
        return f"one-time password link (72 h): {_link(settings, token)}"

    async def set_active(db: Db) -> str:
        active = args.command == "user-reactivate"
        await admin.set_active_by_name(db, args.username, active, moment)
        return "reactivated" if active else "deactivated"

    async def password_link(db: Db) -> str:
        token = await admin.password_link_by_name(db, args.username, moment)
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
    except AccountsError as exc:
        print(f"not possible: {exc.reason}", file=sys.stderr)
        return 2
    return 0
