"""The jinja2 environment: gettext, static URLs and the context every page gets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.dates import format_datetime

from booking.availability import BERLIN
from web import i18n
from web.keys import POLICY, SETTINGS
from web.middlewares import csrf_token

__all__ = ["setup_templates", "base_context", "percent", "points", "when"]

_ = i18n.gettext
_TEMPLATES = Path(__file__).with_name("templates")
_GROUPS = {"sgb2": "SGB II", "sgb3": "SGB III"}


def _decimal(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if i18n.current_language() == "de" else text


def percent(value: float) -> str:
    """A share as a percentage in the page language: 0.8 → "80,0 %"."""
    return f"{_decimal(value * 100, 1)} %"


def points(value: float) -> str:
    """A difference of shares in percentage points, with its sign."""
    sign = "+" if value > 0 else ""
    unit = _("pp")
    return f"{sign}{_decimal(value * 100, 1)} {unit}"


def when(value: datetime) -> str:
    """An appointment time as people read it, in Berlin: "Montag, 01.06.2026, 09:00"."""
    return format_datetime(value, "EEEE, dd.MM.yyyy, HH:mm", tzinfo=BERLIN, locale=i18n.current_language())


def base_context(request: web.Request) -> dict[str, Any]:
    """What the base layout needs; also used for error pages raised before the view."""
    return {
        "request": request,
        "account": request.get("account"),
        "csrf_token": csrf_token(request),
        "lang": i18n.current_language(),
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
    env.globals["connect_timeout_seconds"] = app[SETTINGS].connect_timeout_seconds
    env.globals["pct"] = percent
    env.globals["when"] = when
    env.globals["pp"] = points
    env.globals["num"] = lambda value: _decimal(value, 2)
    env.globals["static_url"] = lambda path: str(static.url_for(filename=path))
