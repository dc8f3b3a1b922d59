"""Versioned consent texts, one file per language and version, immutable once used.

Files are named ``<language>-<version>.md`` in ``consent/texts``, the language as a
BCP 47 tag (``de``, ``ar``, ``de-x-ls`` for Leichte Sprache); each language counts its own
versions. German is authoritative. Texts may hold placeholders such as ``{session_metadata_days}``, filled
from the retention policy when shown (``ConsentText.filled``); every record stores the
SHA-256 of the exact, filled text the person saw.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache
from pathlib import Path

from babel.dates import format_timedelta

from consent.errors import UnknownText

__all__ = ["ConsentText", "current_text", "text_by_version", "languages", "LANGUAGES", "LANGUAGE_PATTERN"]

_TEXTS = Path(__file__).with_name("texts")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_NAME = re.compile(r"^(?P<lang>[a-z]{2}(?:-x-[a-z]{2,8})?)-(?P<version>\d+)\.md$")
LANGUAGE_PATTERN = r"[a-z]{2}(?:-x-[a-z]{2,8})?"
# Every language with a text, as a constant for callers that compare against it.
LANGUAGES = tuple(sorted({m["lang"] for p in _TEXTS.glob("*.md") if (m := _NAME.match(p.name))}))


@dataclass(frozen=True)
class ConsentText:
    language: str
    version: str
    body: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()

    def filled(self, values: Mapping[str, object]) -> ConsentText:
        """The text with every ``{placeholder}`` replaced; an unknown one raises.

        Every ``<name>_days`` value also fills ``{<name>_duration}`` in words of the text's
        language, rounded as people say it: 1095 days → "3 Jahre", 90 → "3 Monate".
        """
        words = dict(values)
        locale = self.language.split("-")[0]
        for key, days in values.items():
            if key.endswith("_days") and isinstance(days, int):
                words[f"{key[:-5]}_duration"] = format_timedelta(timedelta(days=days), format="long", locale=locale)

        def value(match: re.Match[str]) -> str:
            try:
                return str(words[match.group(1)])
            except KeyError:
                raise UnknownText(f"{self.language}-{self.version}: {match.group(0)}") from None

        return replace(self, body=_PLACEHOLDER.sub(value, self.body))


@cache
def _all_texts() -> dict[tuple[str, str], ConsentText]:
    found: dict[tuple[str, str], ConsentText] = {}
    for path in _TEXTS.glob("*.md"):
        match = _NAME.match(path.name)
        if match:
            lang, version = match["lang"], match["version"]
            found[(lang, version)] = ConsentText(lang, version, path.read_text("utf-8"))
    return found


def languages() -> frozenset[str]:
    """Every language with at least one consent text."""
    return frozenset(lang for lang, _ in _all_texts())


def text_by_version(language: str, version: str) -> ConsentText:
    try:
        return _all_texts()[(language, version)]
    except KeyError:
        raise UnknownText(f"{language}-{version}") from None


def current_text(language: str) -> ConsentText:
    """The newest text in ``language``, falling back to German."""
    versions = [t for (lang, _), t in _all_texts().items() if lang == language]
    if not versions:
        if language == "de":
            raise UnknownText("de")
        return current_text("de")
    return max(versions, key=lambda t: int(t.version))
