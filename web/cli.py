"""The ``videoberatung`` command: serve, migrate, purge, create-user, export."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import secrets
import sys

from aiohttp import web

from application import administration, reporting
from application.database import migrate_schema, opened
from application.retention import PurgeExpired, PurgeReport
from feedback import export
from feedback.errors import BadPeriod, TooFewAnswers
from feedback.periods import Period, parse_period
from feedback.report import GROUPS
from recordings_policy import InvalidPolicy, RetentionPolicy, load_policy
from web import admin_cli, privacy_cli
from web.app import create_app
from web.drain import handle_sigterm
from web.logs import configure
from web.passwords import passwords_for
from web.serving import server_options
from web.settings import Settings
from web.variables import BadSetting, read_settings

__all__ = ["main"]

logger = logging.getLogger("videoberatung")


async def _migrate(settings: Settings) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    await migrate_schema(settings.database_url, settings.database_schema)


async def _purge(settings: Settings, policy: RetentionPolicy) -> PurgeReport:
    async with opened(settings.database_url, settings.database_schema) as db:
        return await PurgeExpired(db, policy, settings.clock)()


async def _create_user(
    settings: Settings, username: str, password: str, role: str, display_name: str, if_none: bool
) -> bool:
    async with opened(settings.database_url, settings.database_schema) as db:
        return await administration.create_first_user(
            db, passwords_for(settings), username, password, role, display_name, settings.clock(), if_none=if_none
        )


async def _export(
    settings: Settings,
    group: str,
    fmt: str,
    office_id: int | None,
    period: Period,
    responses: bool,
) -> bytes:
    async with opened(settings.database_url, settings.database_schema) as db:
        use_cases = reporting.Reporting(db, settings.clock)
        if responses:
            return await use_cases.export_responses((group,), office_id, fmt)
        comparison = group == "comparison"
        groups = () if comparison else (group,)
        filters = reporting.Filters(office_id, period)
        return await use_cases.export_figures(groups, filters, fmt, comparison=comparison, name_version=False)


_POOLED = (
    "SGB II und SGB III werden nie zusammengefasst: bitte genau eine Gruppe angeben "
    "(--group sgb2 oder --group sgb3). / SGB II and SGB III are never pooled: "
    "give exactly one group."
)


_PERIODS = "--period: 2026-07, 2026-Q3, 2026-H2, 2026 or all"


def _run_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.comparison and (args.group or args.responses):
        print("--comparison: ohne --group und --responses. / without --group and --responses.", file=sys.stderr)
        return 2
    if args.group not in GROUPS and not args.comparison:
        print(_POOLED, file=sys.stderr)
        return 2
    try:
        period = parse_period(args.period)
    except BadPeriod:
        print(_PERIODS, file=sys.stderr)
        return 2
    if args.responses and period.kind != "all":
        print("--responses: ohne --period (jede Antwort nennt ihren Monat). / without --period.", file=sys.stderr)
        return 2
    try:
        group = "comparison" if args.comparison else args.group
        body = asyncio.run(_export(settings, group, args.format, args.office, period, args.responses))
    except TooFewAnswers:
        print("Weniger als 5 Antworten: nicht ausgegeben. / Fewer than 5 answers.", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "wb") as out:
            out.write(body)
    else:
        sys.stdout.buffer.write(body)
    return 0


def _run_purge(settings: Settings) -> int:
    try:
        policy = load_policy(settings.policy_path)
    except InvalidPolicy as exc:
        print(f"Invalid retention policy: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(_purge(settings, policy))
    print(report.line())
    return 0


def _run_create_user(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password
    if args.generate:
        password = secrets.token_urlsafe(12)
    elif not password:
        password = getpass.getpass("Password: ")
    if len(password) < 10:
        print("The password must have at least 10 characters.", file=sys.stderr)
        return 2
    try:
        created = asyncio.run(
            _create_user(settings, args.username, password, args.role, args.name or args.username, args.if_no_users)
        )
    except Exception as exc:  # e.g. the name is taken
        print(f"Could not create the account: {type(exc).__name__}", file=sys.stderr)
        return 1
    if created and args.generate:
        # Printed once to the terminal of whoever ran the command; never logged.
        print(f"\n  First login:  user {args.username.lower()}  password {password}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="videoberatung", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the web app and signalling")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("purge", help="delete everything past its retention period, now")
    create = commands.add_parser("create-user", help="create a caseworker, evaluator or admin account")
    create.add_argument("username")
    create.add_argument(
        "--role",
        choices=administration.ROLES,
        default="caseworker",
        help="caseworker (default), evaluator, or admin (manages offices and accounts)",
    )
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--password", help="(default: ask, or generate with --generate)")
    create.add_argument("--generate", action="store_true", help="generate and print a password")
    create.add_argument("--if-no-users", action="store_true", help="only when the database has no account yet")
    exporter = commands.add_parser("export", help="export one group's evaluation (never SGB II and SGB III pooled)")
    exporter.add_argument("--group", help="sgb2 or sgb3 (required; a pooled export is refused)")
    exporter.add_argument("--format", choices=export.FORMATS, default="csv")
    exporter.add_argument("--output", help="file to write (default: standard output)")
    exporter.add_argument("--office", type=int, help="only this office id")
    exporter.add_argument(
        "--period",
        default="all",
        help="a period of the grid: a month 2026-07, a quarter 2026-Q3, a half-year 2026-H2, a year 2026, "
        "or all (default); free date ranges are refused",
    )
    exporter.add_argument("--responses", action="store_true", help="the anonymous responses, in random order")
    exporter.add_argument(
        "--comparison", action="store_true", help="the differences SGB II − SGB III, Newcombe intervals (no --group)"
    )
    admin_cli.add_commands(commands)
    privacy_cli.add_command(commands)
    args = parser.parse_args(argv)

    try:
        settings = read_settings(os.environ)
    except BadSetting as exc:
        print(f"Invalid setting {exc}", file=sys.stderr)
        return 2
    configure(settings.log_format)
    # The SQLite driver logs query parameters (phone numbers) at DEBUG: never let it.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)

    if args.command == "export":
        return _run_export(args, settings)
    if args.command == privacy_cli.COMMAND:
        return privacy_cli.run(args, settings)
    if args.command in admin_cli.COMMANDS:
        return admin_cli.run(args, settings)
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if args.command == "purge":
        return _run_purge(settings)
    if args.command == "create-user":
        return _run_create_user(args, settings)
    return _serve(args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    try:
        app = create_app(settings)
    except InvalidPolicy as exc:
        print(f"Invalid retention policy: {exc}", file=sys.stderr)
        return 2
    app.on_startup.append(handle_sigterm)  # SIGTERM drains: /readyz 503, sockets closed, then exit
    app.on_startup.append(_freeze_startup_heap)  # after every start-up hook of create_app
    web.run_app(
        app,
        host=host,
        port=port,
        loop=_event_loop(),
        print=lambda _msg: logger.info("serving on http://%s:%s", host, port),
        **server_options(settings.header_timeout_seconds),
    )
    return 0


async def _freeze_startup_heap(_app: web.Application) -> None:
    """Keep what start-up loaded out of every later garbage collection.

    Modules, templates, catalogues and the open resources are about 150,000 objects that
    live as long as the process; a full collection walked them all (about 90 ms here),
    a pause every socket on the node felt. ``gc.freeze`` moves them out of its way.
    """
    gc.freeze()


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (it is a dependency except on Windows): cheaper I/O per socket."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


if __name__ == "__main__":
    sys.exit(main())
