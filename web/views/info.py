"""Pages about the service itself: the start information and the accessibility statement.

Both are plain pages in every recipient language; the start information is the page
BITV 2.0 § 4 asks for in Leichte Sprache (``/about?lang=de-x-ls``), the statement the one
§ 12b BGG asks for. Every page's footer links to both.
"""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_date

from web.i18n import babel_locale
from web.keys import SETTINGS

__all__ = ["routes", "STATEMENT_DATE"]

routes = web.RouteTableDef()

# When the pages were last checked (axe-core in the browser tests, and by hand).
STATEMENT_DATE = date(2026, 11, 26)


@routes.get("/about", name="about")
async def about(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("info/about.html", request, {})


@routes.get("/accessibility", name="accessibility")
async def accessibility(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template(
        "info/accessibility.html",
        request,
        {
            "statement_date": format_date(STATEMENT_DATE, format="long", locale=babel_locale()),
            "email": request.app[SETTINGS].accessibility_email,
        },
    )
