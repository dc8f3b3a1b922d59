"""Login and logout for caseworkers and evaluators."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application.login import LOGIN_LIFETIME, Refusal, log_in, log_out
from web.cookie_setting import set_private_cookie
from web.cookies import LOGIN_COOKIE
from web.i18n import gettext as _
from web.keys import DB, LOGIN_THROTTLE, METRICS, PASSWORD_CHECKS, SETTINGS
from web.login_throttle import client_address
from web.passwords import PasswordChecksBusy
from web.views.common import form_str, now, redirect

__all__ = ["routes"]

routes = web.RouteTableDef()

_HOME = {"caseworker": "/dashboard", "evaluator": "/evaluation", "admin": "/admin"}


def _safe_next(value: str) -> str | None:
    # Only local paths: never let the login page redirect to another site.
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@routes.get("/", name="home")
async def home(request: web.Request) -> web.StreamResponse:
    redirect(_HOME[request["account"].role] if request["account"] else "/login")


@routes.get("/login", name="login")
async def login_form(request: web.Request) -> web.StreamResponse:
    if request["account"]:
        redirect(_HOME[request["account"].role])
    return aiohttp_jinja2.render_template("login.html", request, {"next": request.query.get("next", ""), "error": None})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = form_str(form, "username", 100)
    password = form.get("password", "")
    next_path = _safe_next(form_str(form, "next", 500))
    moment = now(request)

    def again(message: str, status: int) -> web.StreamResponse:
        return aiohttp_jinja2.render_template(
            "login.html",
            request,
            {"next": next_path or "", "error": message, "username": username},
            status=status,
        )

    if not username or not isinstance(password, str) or not password or len(password) > 1024:
        return again(_("Please enter your user name and password."), 400)
    settings = request.app[SETTINGS]
    if not request.app[LOGIN_THROTTLE].allow(client_address(request, settings.trust_forwarded_for)):
        # No write per refused attempt: a flood must not turn into a flood of audit rows.
        request.app[METRICS].logins_throttled.inc()
        return again(_("Too many login attempts from here. Please wait a minute and try again."), 429)
    try:
        # Off the event loop (PasswordChecks); refused when too many wait already.
        checks = request.app[PASSWORD_CHECKS]
        result = await log_in(request.app[DB], checks.passwords, checks.verify, username, password, moment)
    except PasswordChecksBusy:
        request.app[METRICS].logins_throttled.inc()
        return again(_("Too many login attempts from here. Please wait a minute and try again."), 429)
    if result is Refusal.LOCKED:
        request.app[METRICS].logins_throttled.inc()
        return again(_("Too many failed attempts. Please wait 15 minutes and try again."), 429)
    if result is Refusal.WRONG:
        request.app[METRICS].logins_failed.inc()
        return again(_("User name or password is wrong."), 401)
    response = web.HTTPSeeOther(next_path or _HOME[result.account.role])
    set_private_cookie(request, response, LOGIN_COOKIE, result.token, max_age=int(LOGIN_LIFETIME.total_seconds()))
    raise response


@routes.post("/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(LOGIN_COOKIE)
    if token:
        await log_out(request.app[DB], token, now(request))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response
