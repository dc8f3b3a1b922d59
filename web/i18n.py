"""Gettext catalogues (Babel) and the request's language.

Recipients may read every page in German, English, Arabic (right to left), Ukrainian,
Turkish, Russian or Leichte Sprache. Leichte Sprache is German written to the rules of
the Netzwerk Leichte Sprache; it has no language subtag of its own, so it is the private
use tag ``de-x-ls`` (valid BCP 47, read as German by screen readers) with its catalogue
in the gettext folder ``de@ls`` and German formatting. Staff pages are German or English.

Without a chosen language (``?lang=``, cookie) a page follows the browser's
``Accept-Language`` (``negotiate``): the best of the seven, else German.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = [
    "LANGUAGES",
    "STAFF_LANGUAGES",
    "DEFAULT_LANGUAGE",
    "Language",
    "language_info",
    "use_language",
    "current_language",
    "babel_locale",
    "text_direction",
    "gettext",
    "ngettext",
    "set_pseudo",
    "negotiate",
    "translator",
]


@dataclass(frozen=True)
class Language:
    code: str  # the BCP 47 tag: ``lang`` attribute, ``?lang=``, cookie, stored session language
    name: str  # in its own language, for the switcher
    catalogue: str  # folder under web/locale
    locale: str  # Babel locale for numbers and dates
    direction: str = "ltr"


_ALL = (
    Language("de", "Deutsch", "de", "de"),
    Language("de-x-ls", "Leichte Sprache", "de@ls", "de"),
    Language("en", "English", "en", "en"),
    Language("ar", "العربية", "ar", "ar", "rtl"),
    Language("uk", "Українська", "uk", "uk"),
    Language("tr", "Türkçe", "tr", "tr"),
    Language("ru", "Русский", "ru", "ru"),
)
_BY_CODE = {language.code: language for language in _ALL}
LANGUAGES = tuple(_BY_CODE)
STAFF_LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_LOCALE_DIR = Path(__file__).with_name("locale")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)
# Marks every translated string, so a browser test can find text outside the catalogues.
_pseudo: contextvars.ContextVar[bool] = contextvars.ContextVar("pseudo", default=False)
PSEUDO_OPEN, PSEUDO_CLOSE = "\u2e20", "\u2e21"


def language_info(code: str) -> Language:
    return _BY_CODE.get(code, _BY_CODE[DEFAULT_LANGUAGE])


@cache
def _translations(code: str) -> NullTranslations:
    return Translations.load(str(_LOCALE_DIR), [language_info(code).catalogue], domain="messages")


def translator(code: str) -> Callable[[str], str]:
    """``gettext`` of one language, whatever the page's (an invitation in the session's)."""
    return _translations(language_info(code).code).gettext


def use_language(language: str, allowed: tuple[str, ...] = LANGUAGES) -> None:
    _current.set(language if language in allowed else DEFAULT_LANGUAGE)


def set_pseudo(on: bool) -> None:
    _pseudo.set(on)


def current_language() -> str:
    """The BCP 47 tag of the page language (``de-x-ls`` for Leichte Sprache)."""
    return _current.get()


def babel_locale() -> str:
    """The Babel locale to format numbers and dates in the page language."""
    return language_info(_current.get()).locale


def text_direction() -> str:
    return language_info(_current.get()).direction


def _mark(text: str) -> str:
    return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}" if _pseudo.get() else text


def gettext(message: str) -> str:
    return _mark(_translations(_current.get()).gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return _mark(_translations(_current.get()).ngettext(singular, plural, n))


_RANGE = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_QUALITY = re.compile(r"^[qQ]=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def _ranges(header: str) -> list[tuple[float, int, str]]:
    """The header's language ranges as (-quality, position, range); malformed ones dropped."""
    found: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:50]):
        tag, *params = (part.strip() for part in item.split(";"))
        if not _RANGE.match(tag):
            continue
        quality = 1.0
        for param in params:
            weight = _QUALITY.match(param)
            if weight:
                quality = float(weight.group(1))
            elif param:
                quality = -1.0  # an unreadable parameter: not a usable range
        if quality > 0:
            found.append((-quality, position, tag.lower()))
    return sorted(found)


def negotiate(header: str | None, allowed: tuple[str, ...] = LANGUAGES) -> str | None:
    """The best of ``allowed`` for an ``Accept-Language`` header (RFC 9110 weights, RFC 4647
    lookup: ``de-AT`` finds ``de``, ``ar-SY`` ``ar``); None when nothing fits."""
    if not header:
        return None
    for _weight, _position, tag in _ranges(header[:1000]):
        while tag:
            if tag in allowed:
                return tag
            tag = tag.rpartition("-")[0]
            if tag.endswith("-x"):  # never leave a dangling private-use prefix
                tag = tag[:-2]
    return None
