"""Static files with versions: cacheable for a year, module imports versioned too.

Pages link every static file with ``?v=<version>``. A versioned request for the current
version is answered ``Cache-Control: public, max-age=31536000, immutable``; phones keep
scripts and styles until a release changes them. Anything else under ``/static`` (no or
an old version) keeps the app's default, ``no-store``.

JavaScript modules import each other (``import … from "./signaling.js"``). The browser
resolves those specifiers without the page's ``?v=``, so ``JsModules`` serves every
module with its local imports rewritten to versioned URLs, and a module's version is the
hash of what it serves, imports included: a change to ``signaling.js`` gives
``call.js`` a new version too, and no cached module ever imports a stale one. Dynamic
imports (``import("./datasaver.js")``, the call page's add-ons loaded after first paint)
are versioned the same way, but a page preloads only the static graph its first paint
needs; the prefetch list of the page before (``graph``) includes the dynamic ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath

from aiohttp import web
from aiohttp.typedefs import Middleware

__all__ = ["JsModules", "immutable_static", "static_url", "static_version", "IMMUTABLE"]

IMMUTABLE = "public, max-age=31536000, immutable"

# `from "./x.js"`, `import "./x.js"`, `import("./x.js")` with a local or /static/ path.
_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])((?:\./|\.\./|/static/)[^"'?#]+\.js)\2""")


class JsModules:
    """Every ``.js`` under ``root`` (served at ``prefix``), rewritten and versioned, in memory."""

    def __init__(self, root: Path, prefix: str = "/static") -> None:
        self._root = root
        self._prefix = prefix.rstrip("/")
        self.body: dict[str, bytes] = {}  # relative path -> served bytes
        self.version: dict[str, str] = {}
        self.imports: dict[str, list[str]] = {}  # relative path -> the modules it imports
        self.lazy: dict[str, list[str]] = {}  # relative path -> the modules it imports dynamically
        sources = {p.relative_to(root).as_posix(): p.read_text("utf-8") for p in sorted(root.rglob("*.js"))}
        for rel in sources:
            self._load(rel, sources, ())

    def _target(self, rel: str, specifier: str) -> str | None:
        if specifier.startswith(self._prefix + "/"):
            return specifier[len(self._prefix) + 1 :]
        parts: list[str] = []
        for part in (PurePosixPath(rel).parent / specifier).parts:
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)

    def _load(self, rel: str, sources: dict[str, str], seen: tuple[str, ...]) -> str:
        if rel in self.version:
            return self.version[rel]
        if rel in seen:
            raise ValueError(f"import cycle through {rel}")

        imported: list[str] = []
        lazy: list[str] = []

        def versioned(match: re.Match[str]) -> str:
            lead, quote, specifier = match.groups()
            target = self._target(rel, specifier)
            if target is None or target not in sources:
                return match.group(0)
            (lazy if "(" in lead else imported).append(target)
            return f"{lead}{quote}{specifier}?v={self._load(target, sources, (*seen, rel))}{quote}"

        body = _IMPORT.sub(versioned, sources[rel]).encode()
        self.imports[rel] = list(dict.fromkeys(imported))
        self.lazy[rel] = list(dict.fromkeys(lazy))
        self.body[rel] = body
        self.version[rel] = hashlib.sha256(body).hexdigest()[:16]
        return self.version[rel]

    def url(self, rel: str) -> str | None:
        """``/static/<rel>?v=<version>`` for a module, else None."""
        version = self.version.get(rel)
        return None if version is None else f"{self._prefix}/{rel}?v={version}"

    def preloads(self, *entries: str) -> list[str]:
        """Versioned URLs of every module the ``entries`` import statically, directly or
        not (not the entries themselves): for ``<link rel="modulepreload">``, so the browser
        fetches what first paint needs at once instead of one level of imports per round
        trip. Modules imported dynamically (``import()``) are left to load later."""
        return self._closure(entries, lazy=False)

    def graph(self, *entries: str) -> list[str]:
        """Versioned URLs of the ``entries`` and of every module they import, dynamically
        too: what a page fetches into the cache for the next one (page.js, prefetch)."""
        return [url for rel in entries if (url := self.url(rel)) is not None] + self._closure(entries, lazy=True)

    def _closure(self, entries: tuple[str, ...], *, lazy: bool) -> list[str]:
        def imports(rel: str) -> list[str]:
            return self.imports.get(rel, []) + (self.lazy.get(rel, []) if lazy else [])

        found: dict[str, None] = {}
        todo = [m for rel in entries for m in imports(rel)]
        while todo:
            rel = todo.pop(0)
            if rel not in found and rel not in entries:
                found[rel] = None
                todo.extend(imports(rel))
        return [url for rel in found if (url := self.url(rel)) is not None]

    async def handler(self, request: web.Request) -> web.StreamResponse:
        rel = request.match_info["path"]
        body = self.body.get(rel)
        if body is None:
            raise web.HTTPNotFound()
        response = web.Response(body=body, content_type="text/javascript", charset="utf-8")
        if request.query.get("v") == self.version[rel]:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def immutable_static(current_version: Callable[[str], str | None]) -> Middleware:
    """A middleware: a static file asked for with its current ``?v=`` is cacheable for a year."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if (
            request.path.startswith("/static/")
            and response.status == 200
            and "v" in request.query
            and request.query["v"] == current_version(request.path[len("/static/") :])
        ):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    return middleware


def static_version(app: web.Application, rel: str) -> str | None:
    """The version aiohttp's static route gives ``rel`` (a hash of the file), or None."""
    resource = app.router.named_resources().get("static")
    if resource is None:
        return None
    try:
        return resource.url_for(filename=rel).query.get("v")
    except (ValueError, OSError):
        return None


def static_url(app: web.Application, modules: JsModules) -> Callable[[str], str]:
    """Templates' ``static_url``: a module's own version, else aiohttp's."""

    def url(rel: str) -> str:
        found = modules.url(rel)
        if found is not None:
            return found
        return str(app.router["static"].url_for(filename=rel))

    return url
