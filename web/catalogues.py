"""Which translations are missing: per language, exactly the msgids still to translate.

German, Arabic, Ukrainian, Turkish, Russian and Leichte Sprache must translate every
message a recipient can see; German also every staff message (staff pages are German
or English only). English needs nothing: the msgids are English. A message counts as
a staff message when every place it occurs is a staff page or staff view
(``STAFF_SOURCES``); anything else may reach a recipient.

``python -m web.catalogues`` prints what is missing (exit code 1 if anything is);
``make translations`` runs it. The test suite runs the same check.
``python -m web.catalogues fill FILE.json`` writes translations given as
``{"ar": {"msgid": "msgstr", …}, …}`` into the catalogues (clearing their fuzzy flag),
refusing any whose placeholders (``{name}``, ``%(name)s``) differ from the msgid's.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from web.i18n import LANGUAGES, language_info

__all__ = ["STAFF_SOURCES", "Gap", "extracted", "gaps", "fill", "placeholders", "main"]

_ROOT = Path(__file__).resolve().parent.parent
_LOCALE = Path(__file__).with_name("locale")
# Files only staff ever see; their messages need German (and English) only.
STAFF_SOURCES = frozenset(
    {
        "web/templates/dashboard.html",
        "web/templates/session.html",
        "web/templates/evaluation.html",
        "web/templates/availability.html",
        "web/templates/login.html",
        "web/views/caseworker.py",
        "web/views/evaluation.py",
        "web/views/appointments.py",
        "web/views/auth.py",
        "web/cli.py",
        "web/admin_cli.py",
        "web/templates/evaluation_print.html",
        "web/templates/evaluation/details.html",
        "web/templates/evaluation/macros.html",
        "web/evaluation_charts.py",
        "web/views/availability_page.py",
        "web/templates/admin/index.html",
        "web/templates/admin/office.html",
        "web/templates/admin/audit.html",
        "web/templates/admin/password.html",
        "web/views/admin.py",
        "web/views/absences.py",
        "web/views/appointment_detail.py",
        "web/templates/appointment.html",
        "web/templates/attempts.html",
        "web/templates/_invitation.html",
        "web/templates/_live_waiting.html",
        "web/templates/_dashboard_i18n.html",
        "web/templates/_waiting_alerts.html",
        "web/templates/_third.html",
    }
)


@dataclass(frozen=True)
class Gap:
    language: str
    msgid: str
    problem: str  # "missing", "untranslated" or "fuzzy"


@cache
def extracted() -> dict[str, frozenset[str]]:
    """Every msgid in the sources, with the files it occurs in."""
    with open(_ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(_ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(filename.replace("\\", "/"))
    return {msgid: frozenset(files) for msgid, files in found.items()}


def _needed(language: str, messages: dict[str, frozenset[str]]) -> Iterable[str]:
    if language == "en":
        return ()
    if language == "de":
        return messages
    return (msgid for msgid, files in messages.items() if not files <= STAFF_SOURCES)


def gaps(languages: Iterable[str] = LANGUAGES) -> list[Gap]:
    """Every msgid a shipped catalogue lacks, has empty, or has only as a fuzzy guess."""
    messages = extracted()
    found: list[Gap] = []
    for language in languages:
        with open(_catalogue_path(language), "rb") as po:
            catalogue = read_po(po)
        for msgid in sorted(_needed(language, messages)):
            entry = catalogue.get(msgid)
            if entry is None:
                found.append(Gap(language, msgid, "missing"))
            elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
                found.append(Gap(language, msgid, "untranslated"))
            elif entry.fuzzy:
                found.append(Gap(language, msgid, "fuzzy"))
    return found


_PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _catalogue_path(language: str) -> Path:
    return _LOCALE / language_info(language).catalogue / "LC_MESSAGES" / "messages.po"


def fill(translations: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Write translations into the catalogues; returns the problems (nothing written for those)."""
    problems: list[str] = []
    for language, entries in translations.items():
        path = _catalogue_path(language)
        with open(path, "rb") as po:
            catalogue = read_po(po)
        changed = False
        for msgid, msgstr in entries.items():
            entry = catalogue.get(msgid)
            if entry is None:
                problems.append(f"{language}: not in the catalogue (run make messages): {msgid!r}")
            elif placeholders(msgid) != placeholders(msgstr):
                problems.append(f"{language}: placeholders differ: {msgid!r} -> {msgstr!r}")
            else:
                entry.string = msgstr
                entry.flags.discard("fuzzy")
                changed = True
        if not changed:
            continue
        with open(path, "wb") as po:
            write_po(po, catalogue, omit_header=False, no_location=True, sort_output=True, width=76)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["fill"] and len(args) == 2:
        with open(args[1], encoding="utf-8") as source:
            problems = fill(json.load(source))
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    languages = args or list(LANGUAGES)
    found = gaps(languages)
    for gap in found:
        print(f"{gap.language}\t{gap.problem}\t{gap.msgid!r}")
    counts = {language: sum(1 for gap in found if gap.language == language) for language in languages}
    print("; ".join(f"{language}: {count} to do" for language, count in counts.items()), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
