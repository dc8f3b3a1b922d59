"""Administration for the ``admin`` role: offices, accounts, the audit log.

An administrator with an office manages that office and its accounts; one without an
office manages every office and creates new ones. Every change is an audit entry
(ids only, never names).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web

from application import administration as admin
from application.administration import ROLES, Account, AccountsError, NotManaged, OfficeView
from application.booking import todays_office_appointments
from booking.availability import WEEKDAYS
from booking.errors import InvalidOffice
from booking.offices import hours_text, parse_office
from web.errors import N_
from web.i18n import gettext as _
from web.keys import DB, PASSWORDS
from web.views.common import form_str, now, origin, redirect, require_role

__all__ = ["routes", "office_message", "account_message", "password_link"]

routes = web.RouteTableDef()

_WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday")),
        strict=True,
    )
)
_ROLE_NAMES = {"caseworker": N_("Caseworker"), "evaluator": N_("Evaluator"), "admin": N_("Administrator")}

_OFFICE_MESSAGES = {
    "name": N_("Please enter the office's name (at most 200 characters)."),
    "name_taken": N_("An office with this name exists already."),
    "address": N_(
        "Please enter the address as street and house number, then postcode and town, e.g. "
        "Musterstraße 1, 12345 Musterstadt."
    ),
    "phone": N_("Please enter a valid phone number, for example 030 1234567."),
    "hours": N_("The opening hours are not valid: use 08:00-12:00, 14:00-16:00, each ending after it starts."),
    "overlap": N_("Opening hours on one day overlap. Please enter each time once."),
    "holiday_order": N_("The holiday ends before it begins."),
    "holiday_past": N_("The holiday lies in the past. Please enter today or a later day."),
    "holiday_length": N_("A holiday lasts at most one year."),
    "holiday_format": N_("Please enter the holiday as two dates, first and last day."),
    "unknown": N_("This office does not exist."),
}
_ACCOUNT_MESSAGES = {
    "username_taken": N_("This user name is taken. Please choose another one."),
    "username": N_("Please enter a user name: letters, digits, dot, dash (at most 100)."),
    "display_name": N_("Please enter the person's name."),
    "last_admin": N_("This is the last active administrator: it cannot be deactivated or lose the role."),
    "unknown": N_("This account does not exist."),
    "role": N_("Please choose a role from the list."),
    "office": N_("Please choose an office you manage."),
    "link_invalid": N_("This link is not valid any more. Please ask your administrator for a new one."),
    "password_short": N_("The password needs at least 12 characters."),
    "password_mismatch": N_("The two passwords differ."),
}


def office_message(reason: str) -> str:
    return _(_OFFICE_MESSAGES.get(reason, _OFFICE_MESSAGES["hours"]))


def account_message(reason: str) -> str:
    return _(_ACCOUNT_MESSAGES.get(reason, _ACCOUNT_MESSAGES["unknown"]))


def password_link(request: web.Request, token: str) -> str:
    return f"{origin(request)}/password/{token}"


def _admin(request: web.Request) -> Account:
    return require_role(request, "admin")


T = TypeVar("T")


async def _managed(found: Awaitable[T]) -> T:
    """What the admin manages, or 404 (``NotManaged``'s code is ``not_found``)."""
    try:
        return await found
    except NotManaged:
        raise web.HTTPNotFound() from None


async def _index(
    request: web.Request,
    account: Account,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    created_link: str | None = None,
) -> web.StreamResponse:
    office_list, user_list = await admin.overview(request.app[DB], account)
    todays = await todays_office_appointments(request.app[DB], account.office_id, now(request))
    return aiohttp_jinja2.render_template(
        "admin/index.html",
        request,
        {
            "offices": office_list,
            "office_names": {o.id: o.name for o in office_list},
            "users": user_list,
            "roles": [(r, _(_ROLE_NAMES[r])) for r in ROLES],
            "role_names": {r: _(n) for r, n in _ROLE_NAMES.items()},
            "may_create_office": account.office_id is None,
            "error": error,
            "form": form or {},
            "created_link": created_link,
            "appointments": todays,
        },
        status=status,
    )


@routes.get("/admin", name="admin")
async def index(request: web.Request) -> web.StreamResponse:
    return await _index(request, _admin(request))


def _office_form(form: Any) -> dict[str, str]:
    fields = {k: form_str(form, k, 500) for k in ("name", "address", "phone")}
    # form_str flattens newlines only if the browser sent them; keep the textarea's lines.
    raw_address = form.get("address", "")
    fields["address"] = raw_address.strip()[:500] if isinstance(raw_address, str) else ""
    for day in WEEKDAYS:
        fields[f"hours_{day}"] = form_str(form, f"hours_{day}", 100)
    fields["allow_caseworker_choice"] = "on" if form.get("allow_caseworker_choice") else ""
    return fields


def _office_details(fields: dict[str, str]) -> Any:
    return parse_office(
        fields["name"],
        fields["address"],
        fields["phone"],
        {day: fields[f"hours_{day}"] for day in WEEKDAYS},
        bool(fields["allow_caseworker_choice"]),
    )


async def _office_page(
    request: web.Request,
    office_id: int | None,
    fields: dict[str, str],
    *,
    error: str | None = None,
    status: int = 200,
    holiday: dict[str, str] | None = None,
) -> web.StreamResponse:
    holidays = [] if office_id is None else await admin.holidays(request.app[DB], office_id, now(request))
    return aiohttp_jinja2.render_template(
        "admin/office.html",
        request,
        {
            "office_id": office_id,
            "fields": fields,
            "weekdays": [(d, _(_WEEKDAY_NAMES[d])) for d in WEEKDAYS],
            "holidays": holidays,
            "holiday": holiday or {},
            "error": error,
        },
        status=status,
    )


@routes.get("/admin/offices/new")
async def new_office(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    if account.office_id is not None:
        raise web.HTTPForbidden()
    return await _office_page(request, None, {"allow_caseworker_choice": "on"})


@routes.post("/admin/offices/new")
async def create_office(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    if account.office_id is not None:
        raise web.HTTPForbidden()
    fields = _office_form(await request.post())
    try:
        office_id = await admin.create_office(request.app[DB], _office_details(fields), now(request))
    except InvalidOffice as exc:
        return await _office_page(request, None, fields, error=office_message(exc.reason), status=400)
    redirect(f"/admin/offices/{office_id}?saved=1")


async def _managed_office(request: web.Request, account: Account) -> OfficeView:
    return await _managed(admin.managed_office(request.app[DB], account, int(request.match_info["office_id"])))


def _office_fields(office: OfficeView) -> dict[str, str]:
    return {
        "name": office.name,
        "address": office.address,
        "phone": office.phone,
        "allow_caseworker_choice": "on" if office.allow_caseworker_choice else "",
        **{f"hours_{day}": hours_text(office.hours, day) for day in WEEKDAYS},
    }


@routes.get(r"/admin/offices/{office_id:\d+}", name="admin_office")
async def office_page(request: web.Request) -> web.StreamResponse:
    office = await _managed_office(request, _admin(request))
    return await _office_page(request, office.id, _office_fields(office))


@routes.post(r"/admin/offices/{office_id:\d+}")
async def update_office(request: web.Request) -> web.StreamResponse:
    office_id = (await _managed_office(request, _admin(request))).id
    fields = _office_form(await request.post())
    try:
        await admin.update_office(request.app[DB], office_id, _office_details(fields), now(request))
    except InvalidOffice as exc:
        return await _office_page(request, office_id, fields, error=office_message(exc.reason), status=400)
    redirect(f"/admin/offices/{office_id}?saved=1")


@routes.post(r"/admin/offices/{office_id:\d+}/holidays")
async def add_holiday(request: web.Request) -> web.StreamResponse:
    office = await _managed_office(request, _admin(request))
    form = await request.post()
    typed = {"first": form_str(form, "first", 10), "last": form_str(form, "last", 10)}
    try:
        await admin.add_holiday(request.app[DB], office.id, typed["first"], typed["last"], now(request))
    except InvalidOffice as exc:
        return await _office_page(
            request, office.id, _office_fields(office), error=office_message(exc.reason), status=400, holiday=typed
        )
    redirect(f"/admin/offices/{office.id}?saved=1")


@routes.post(r"/admin/offices/{office_id:\d+}/holidays/{holiday_id:\d+}/delete")
async def remove_holiday(request: web.Request) -> web.StreamResponse:
    office_id = (await _managed_office(request, _admin(request))).id
    await admin.remove_holiday(request.app[DB], office_id, int(request.match_info["holiday_id"]), now(request))
    redirect(f"/admin/offices/{office_id}?saved=1")


@routes.post("/admin/users")
async def create_user(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    form = await request.post()
    typed = {k: form_str(form, k, 200) for k in ("username", "display_name", "role", "office")}
    try:
        token = await admin.invite_user(
            request.app[DB],
            request.app[PASSWORDS],
            account,
            typed["username"],
            typed["display_name"],
            typed["role"],
            typed["office"],
            now(request),
        )
    except AccountsError as exc:
        return await _index(request, account, error=account_message(exc.reason), form=typed, status=400)
    return await _index(request, account, created_link=password_link(request, token))


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


@routes.post(r"/admin/users/{user_id:\d+}/{action:deactivate|reactivate}")
async def set_active(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    active = request.match_info["action"] == "reactivate"
    try:
        await _managed(admin.set_active(request.app[DB], account, _user_id(request), active, now(request)))
    except AccountsError as exc:
        return await _index(request, account, error=account_message(exc.reason), status=409)
    redirect("/admin?saved=1")


@routes.post(r"/admin/users/{user_id:\d+}/reset")
async def reset_password(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    token = await _managed(admin.reset_password(request.app[DB], account, _user_id(request), now(request)))
    return await _index(request, account, created_link=password_link(request, token))


@routes.post(r"/admin/users/{user_id:\d+}/assign")
async def assign(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    form = await request.post()
    role, office = form_str(form, "role", 20), form_str(form, "office", 20)
    try:
        await _managed(admin.assign(request.app[DB], account, _user_id(request), role, office, now(request)))
    except AccountsError as exc:
        return await _index(request, account, error=account_message(exc.reason), status=400)
    redirect("/admin?saved=1")


@routes.get("/admin/audit")
async def audit_view(request: web.Request) -> web.StreamResponse:
    account = _admin(request)
    try:
        before = int(request.query.get("before", "0")) or None
    except ValueError:
        before = None
    # An office's admin reads that office's entries; an admin without an office, all.
    page = await admin.audit_page(request.app[DB], before, account.office_id)
    return aiohttp_jinja2.render_template("admin/audit.html", request, {"rows": page.rows, "older": page.older})


# ---- the one-time set-password link (no login) ----------------------------------------


async def _password_page(
    request: web.Request, token: str, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    try:
        user = await admin.password_link_user(request.app[DB], token, now(request))
    except AccountsError as exc:
        return aiohttp_jinja2.render_template(
            "admin/password.html", request, {"user": None, "error": account_message(exc.reason)}, status=410
        )
    return aiohttp_jinja2.render_template("admin/password.html", request, {"user": user, "error": error}, status=status)


@routes.get(r"/password/{token:[A-Za-z0-9_-]{20,64}}", name="set_password")
async def password_form(request: web.Request) -> web.StreamResponse:
    return await _password_page(request, request.match_info["token"])


@routes.post(r"/password/{token:[A-Za-z0-9_-]{20,64}}")
async def password_set(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    form = await request.post()
    password = form.get("password", "")
    repeat = form.get("repeat", "")
    if not isinstance(password, str) or password != repeat:
        return await _password_page(request, token, error=account_message("password_mismatch"), status=400)
    try:
        await admin.set_password(request.app[DB], request.app[PASSWORDS], token, password, now(request))
    except AccountsError as exc:
        if exc.reason == "password_short":
            return await _password_page(request, token, error=account_message(exc.reason), status=400)
        return await _password_page(request, token)
    redirect("/login?password=1")
