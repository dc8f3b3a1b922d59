"""``videoberatung privacy-docs``: the GDPR documents for the data protection officer.

The edge only reads the settings and the arguments; what the documents say comes from
``recordings_policy`` (the inventory, the policy, the threat model in docs/security.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from recordings_policy import InvalidPolicy, load_policy
from recordings_policy.privacy_content import documents
from recordings_policy.privacy_docs import Deployment, InvalidFacts, load_facts, write_documents
from recordings_policy.privacy_security import read_security
from web.settings import Settings

__all__ = ["COMMAND", "add_command", "run"]

COMMAND = "privacy-docs"


def add_command(commands: Any) -> None:
    docs = commands.add_parser(
        COMMAND, help="write the GDPR documents (Art. 30 record, DPIA draft, TOMs, deletion concept), German"
    )
    docs.add_argument("--output", required=True, type=Path, help="folder for the .md and .html files")
    docs.add_argument("--office-facts", type=Path, help="TOML file with the office's facts (controller, DPO, hosting)")


def deployment_of(settings: Settings) -> Deployment:
    return Deployment(
        database="PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite",
        redis=settings.redis_url is not None,
        turn=bool(settings.turn_urls),
        secure_cookies=settings.secure_cookies,
        public_url=settings.public_url,
        purge_interval_seconds=settings.purge_interval_seconds,
        policy_path=str(settings.policy_path),
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        policy = load_policy(settings.policy_path)
        facts = load_facts(args.office_facts)
    except (InvalidPolicy, InvalidFacts) as exc:
        print(f"privacy-docs: {exc}", file=sys.stderr)
        return 2
    written = write_documents(documents(facts, deployment_of(settings), policy, read_security()), args.output)
    for path in written:
        print(path)
    missing = facts.missing()
    if missing:
        print(f"Noch auszufüllen ({len(missing)}): {', '.join(missing)}", file=sys.stderr)
    return 0
