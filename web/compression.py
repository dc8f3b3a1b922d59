"""Compress static text files on the way out: a phone on a slow connection loads a third.

Only ``/static/``: scripts, styles and images carry no secret, so compressing them
cannot leak one. Pages are left alone on purpose: an HTML page holds a CSRF token next
to text a visitor can influence, which compression would turn into a length oracle
(BREACH). Versioned static files are cached by the browser, so each is compressed once
per visitor, not once per page. Files come either from disk (``FileResponse``) or, for
JavaScript modules with versioned imports, from memory (``web.assets.JsModules``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath

from aiohttp import hdrs, web

__all__ = ["static_compression"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".svg", ".json", ".txt", ".map"})


@web.middleware
async def static_compression(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if (
        isinstance(response, web.FileResponse | web.Response)
        and request.path.startswith("/static/")
        and PurePosixPath(request.path).suffix in _COMPRESSIBLE
        and not response.prepared
    ):
        # aiohttp negotiates gzip or deflate from Accept-Encoding; with none it sends as is.
        response.enable_compression()
        response.headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
    return response
