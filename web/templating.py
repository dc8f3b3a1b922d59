"""The jinja2 environment: gettext, static URLs and the context every page gets."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_decimal, format_percent
from yarl import URL

from booking.availability import BERLIN
from web import i18n
from web.keys import POLICY, SETTINGS
from web.middlewares import csrf_token, is_staff_page

__all__ = ["setup_templates", "base_context", "percent", "points", "when"]

_ = i18n.gettext
_TEMPLATES = Path(__file__).with_name("templates")
_GROUPS = {"sgb2": "SGB II", "sgb3": "SGB III"}
# People read words, never the stored codes ("Ergebnis: video").
_OUTCOMES = {
    "video": "held by video",
    "phone": "switched to phone",
    "in_person": "rebooked in person",
    "no_show": "no-show",
    "technical_failure": "technical failure",
}


def outcome_label(value: object) -> str:
    code = str(getattr(value, "value", value))
    return _(_OUTCOMES[code]) if code in _OUTCOMES else "–"


def _decimal(value: float, places: int) -> str:
    return format_decimal(value, format="#,##0." + "0" * places, locale=i18n.babel_locale())


def percent(value: float) -> str:
    """A share as a percentage in the page language: 0.8 → "80,0 %" (de), "%80,0" (tr)."""
    pattern = Locale.parse(i18n.babel_locale()).percent_formats[None].pattern
    text = format_percent(value, format=pattern.replace("#,##0", "#,##0.0", 1), locale=i18n.babel_locale())
    return text.replace("\xa0", " ")


def points(value: float) -> str:
    """A difference of shares in percentage points, with its sign."""
    sign = "+" if value > 0 else ""
    unit = _("pp")
    return f"{sign}{_decimal(value * 100, 1)} {unit}"


def when(value: datetime) -> str:
    """An appointment time as people read it, in Berlin and the page language:
    "Montag, 1. Juni 2026, 09:00", "الاثنين، 1 يونيو 2026، 9:00 ص"."""
    locale = Locale.parse(i18n.babel_locale())
    local = value.astimezone(BERLIN)
    pattern = str(locale.datetime_formats["full"])
    return pattern.replace("{1}", format_date(local, "full", locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )


def switch_url(request: web.Request, code: str) -> str:
    """This page in another language, with its query (the reason, the chosen caseworker) kept.

    A page shown in answer to a POST links to its GET address (``page_path``, set by the
    language middleware), never to the POST-only one.
    """
    if request.method == "GET":
        query = {k: v for k, v in request.query.items() if k != "lang"}
        path = request.path
    else:
        query, path = {}, str(request.get("page_path") or "/")
    return str(URL.build(path=path, query={**query, "lang": code}))


def base_context(request: web.Request) -> dict[str, Any]:
    """What the base layout needs; also used for error pages raised before the view."""
    shown = i18n.STAFF_LANGUAGES if is_staff_page(request) else i18n.LANGUAGES
    return {
        "request": request,
        "account": request.get("account"),
        "staff_page": is_staff_page(request),
        "csrf_token": csrf_token(request),
        "lang": i18n.current_language(),
        "dir": i18n.text_direction(),
        "number_locale": i18n.babel_locale(),
        "switch_languages": [(code, i18n.language_info(code).name, switch_url(request, code)) for code in shown],
    }


async def _context_processor(request: web.Request) -> dict[str, Any]:
    return base_context(request)


def setup_templates(app: web.Application, static: web.AbstractResource) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        context_processors=[_context_processor],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["group_label"] = lambda group: _GROUPS.get(str(group), str(group))
    env.globals["policy"] = app[POLICY]
    # A retention period in words of the page's language ("3 Jahre"), as the consent text says it.
    env.globals["kept_for"] = lambda category: format_timedelta(
        timedelta(days=app[POLICY].days(category)), format="long", locale=i18n.babel_locale()
    )
    env.globals["connect_timeout_seconds"] = app[SETTINGS].connect_timeout_seconds
    env.globals["outcome_label"] = outcome_label
    env.globals["language_name"] = lambda code: i18n.language_info(str(code)).name
    env.globals["pct"] = percent
    env.globals["when"] = when
    env.globals["pp"] = points
    env.globals["num"] = lambda value: _decimal(value, 2)
    env.globals["static_url"] = lambda path: str(static.url_for(filename=path))
