"""Gettext catalogues (Babel) and the request's language: German first, English second."""

from __future__ import annotations

import contextvars
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "use_language", "current_language", "gettext", "ngettext"]

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_LOCALE_DIR = Path(__file__).with_name("locale")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def _translations(language: str) -> NullTranslations:
    return Translations.load(str(_LOCALE_DIR), [language], domain="messages")


def use_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)
