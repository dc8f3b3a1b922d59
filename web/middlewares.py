"""Request middlewares: language, login, CSRF and security headers."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from application import login
from web.bodies import read_form
from web.cookie_setting import set_private_cookie
from web.cookies import CSRF_COOKIE, LANG_COOKIE, LOGIN_COOKIE
from web.i18n import LANGUAGES, STAFF_LANGUAGES, current_language, negotiate, set_pseudo, use_language
from web.keys import DB, SETTINGS
from web.settings import Settings

__all__ = [
    "signaling_passthrough",
    "language_middleware",
    "is_staff_page",
    "login_middleware",
    "csrf_middleware",
    "security_headers",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HSTS = "max-age=31536000; includeSubDomains"

_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: document photos received in a call
        "media-src 'self' blob: mediastream:",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


@web.middleware
def signaling_passthrough(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Hand the socket.io endpoint straight to its handler, past the page middlewares.

    The socket.io endpoint is not a page: it authenticates in its connect handler, maps
    its own errors, and its websocket lives for the whole visit. Every middleware it
    passed would stay suspended on the stack for that long; skipping them saves about
    7 KiB per open socket (``docs/performance.md``). Must be the outermost middleware.
    Not a coroutine function on purpose: it returns the next handler's coroutine for
    aiohttp to await, so not even its own frame stays on a websocket's stack.
    """
    if request.path == "/socket.io/":  # exactly the route ``sio.attach`` adds
        return request.match_info.handler(request)
    return handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    hsts = _https(request.app[SETTINGS])
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _secure(response, hsts)
        raise
    _secure(response, hsts)
    return response


def _https(settings: Settings) -> bool:
    """Whether the node is served over HTTPS only (then browsers are told to stay on it)."""
    return settings.secure_cookies or (settings.public_url or "").startswith("https://")


def _secure(response: web.StreamResponse, hsts: bool) -> None:
    if response.prepared:
        return
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
    response.headers.setdefault("Cache-Control", "no-store")


# Pages for staff (and the way to them) are German or English; recipients have all languages.
_STAFF_PATHS = ("/login", "/")


def is_staff_page(request: web.Request) -> bool:
    return request.get("account") is not None or request.path in _STAFF_PATHS


async def _page_path(request: web.Request) -> str:
    """The nearest address with a page to GET: the POST's own, else its parents'."""
    path = request.path
    while path not in ("", "/"):
        found = await request.app.router.resolve(request.clone(method="GET", rel_url=path))
        if found.http_exception is None:
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


@web.middleware
async def language_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``?lang=`` switches and remembers; else the cookie; else the browser's
    ``Accept-Language`` (best of the seven); else German (the configured default).

    A POST answered with a page (a form shown again) remembers the nearest GET address
    (``page_path``), so the language switcher never leads to a 405.
    """
    set_pseudo(request.app[SETTINGS].pseudo_locale)
    asked = request.query.get("lang")
    remembered = request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        use_language(asked)
    elif remembered in LANGUAGES:
        use_language(remembered)
    else:
        browser = negotiate(request.headers.get("Accept-Language"))
        use_language(browser or request.app[SETTINGS].default_language)
    if request.method == "POST" and "page_path" not in request:
        request["page_path"] = await _page_path(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        # A redirect (the waiting room sending to the consent) keeps the chosen language too.
        if asked in LANGUAGES:
            exc.set_cookie(LANG_COOKIE, current_language(), max_age=365 * 86400, samesite="Lax", httponly=True)
        raise
    if asked in LANGUAGES and not response.prepared:
        response.set_cookie(LANG_COOKIE, current_language(), max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@web.middleware
async def login_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the logged-in account, if any, into ``request['account']``."""
    request["account"] = None
    request["csrf"] = None
    token = request.cookies.get(LOGIN_COOKIE)
    if token and not request.path.startswith(("/static/", "/socket.io/")):
        found = await login.logged_in(request.app[DB], token, request.app[SETTINGS].clock())
        if found:
            request["account"], request["csrf"] = found
    if is_staff_page(request):
        use_language(current_language(), STAFF_LANGUAGES)
    return await handler(request)


def csrf_token(request: web.Request) -> str:
    """The token forms must echo: the login session's, or a double-submit cookie's."""
    if request.get("csrf"):
        return str(request["csrf"])
    token = request.get("anon_csrf") or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
    request["anon_csrf"] = token
    return str(token)


# JSON endpoints: the anonymous pre-call check; call pages reporting attempt-log events
# and answering or removing a third person (cookie-authorised: a cross-site page cannot
# send this content type without a preflight, and the Origin check below refuses it).
_JSON_API = ("/api/check/", "/api/attempts/", "/api/third/")


def _own_origin(request: web.Request) -> str:
    configured = request.app[SETTINGS].public_url
    return configured.rstrip("/") if configured else str(request.url.origin())


def _cross_site(request: web.Request) -> bool:
    """Whether the browser says this request comes from another site.

    ``Sec-Fetch-Site`` (all current browsers) must be ``same-origin`` or ``none`` (typed,
    bookmarked). ``Origin`` must be ours or ``null``: with ``Referrer-Policy: no-referrer``
    browsers send ``Origin: null`` on our own form posts. Clients that send neither (curl,
    old browsers) still face the CSRF token.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    sent = request.headers.get("Origin")
    if sent is None or sent == "null":
        return False
    configured = request.app[SETTINGS].public_url
    if configured:
        return sent != configured.rstrip("/")
    # Without PUBLIC_URL a proxy may terminate TLS: compare host and port, not the scheme.
    return urlsplit(sent).netloc.lower() != request.host.lower()


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and _cross_site(request):
        raise web.HTTPForbidden(reason="cross-site request")
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await read_form(request)  # malformed bodies end here as MalformedBody → 400
        sent = form.get("csrf_token")
        expected = request["csrf"] or request.cookies.get(CSRF_COOKIE)
        if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
            raise web.HTTPForbidden(reason="CSRF token missing or wrong")
    elif request.method == "POST" and request.path.startswith(_JSON_API) and request.content_type == "application/json":
        # A cross-site page cannot send this content type without a CORS preflight (which is
        # never answered); the Origin check refuses what a misbehaving client might send.
        sent_origin = request.headers.get("Origin")
        if sent_origin is not None and sent_origin != _own_origin(request):
            raise web.HTTPForbidden(reason="cross-origin request")
    elif request.method == "POST" and not request.path.startswith("/socket.io/"):
        raise web.HTTPUnsupportedMediaType()
    response = await handler(request)
    anon = request.get("anon_csrf")
    if anon and anon != request.cookies.get(CSRF_COOKIE) and not response.prepared:
        set_private_cookie(request, response, CSRF_COOKIE, anon)
    return response
