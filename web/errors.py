"""The one place where errors become HTTP responses: a German page for people, JSON for clients."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from booking.errors import BookingError
from consent.errors import ConsentError
from feedback.errors import FeedbackError
from recordings_policy.errors import PolicyError
from rooms.errors import CheckBusy, RoomsError
from web.bodies import MalformedBody
from web.i18n import gettext as _

__all__ = ["error_middleware", "FormError", "N_", "domain_title"]

logger = logging.getLogger(__name__)


class FormError(Exception):
    """A form was filled in wrongly; the view shows it again with ``message``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


_BAD_REQUEST = N_("The request could not be processed.")
# The titles too long for a row of the table below.
_NOT_YET_VALID = N_("This invitation link is not valid yet. Please open it shortly before your appointment.")
_CONTRADICTED = N_(
    "The other device in this appointment saw your video call connected. So this server cannot "
    "confirm a failed connection attempt. If picture or sound did not work for you, please arrange "
    "your appointment by phone or in person."
)
_OUTSIDE_HOURS = N_("No appointments are offered at this time. Please choose one of the times shown.")
_LINK_EXPIRED = N_("This link has expired: the appointment has begun or is over. Please contact your Jobcenter.")
_FEEDBACK_INVALID = N_("This feedback link is not valid, or it was used already: each link records answers once.")

# Every domain error's wire code -> (HTTP status, title); the title is translated when shown.
# Built once; a code missing here falls back to the code of the error's parent class.
_DOMAIN: dict[str, tuple[int, str]] = {
    "not_found": (404, N_("This appointment does not exist.")),
    "conflict": (409, N_("That is not possible at this point.")),
    "forbidden": (403, N_("You are not allowed to open this page.")),
    "invitation_expired": (410, N_("This invitation link has expired.")),
    "invitation_revoked": (410, N_("This invitation link was withdrawn. Please ask your caseworker for a new link.")),
    "invitation_invalid": (400, N_("This invitation link is not valid.")),
    "session_closed": (410, N_("This appointment has already ended.")),
    "not_admitted": (403, N_("You have not been admitted to this call yet.")),
    "check_busy": (503, N_("All test connections are busy right now. Please try again in a moment.")),
    "check_not_found": (404, N_("This connection test has already ended.")),
    "check_offer_invalid": (400, N_("Your browser's connection offer could not be used.")),
    "no_failed_attempt": (409, N_("No failed connection attempt has been recorded for you in this appointment.")),
    "call_full": (409, N_("The call already has three participants. Nobody else can join.")),
    "third_person": (409, N_("That is not possible at this point.")),
    "third_exists": (409, N_("This session already has a third person. Remove them first.")),
    "third_not_agreed": (403, N_("The person you are to accompany has not agreed yet. Please try again in a moment.")),
    "wrong_invitation": (403, N_("This link was made for another person. Please use your own invitation link.")),
    "consent_required": (403, N_("Please give your consent first.")),
    "unknown_text": (404, N_("This page does not exist.")),
    "feedback_used": (410, N_("This feedback link was already used: your answers were recorded once. Thank you!")),
    "feedback_expired": (410, N_("This feedback link has expired.")),
    "bad_period": (400, N_("This period is not on the grid. Use 2026-07, 2026-Q3, 2026-H2, 2026 or all.")),
    "invalid_answer": (400, N_("Some answers are not valid.")),
    "already_rated": (409, N_("This session has already been rated.")),
    "pooled": (400, N_("SGB II and SGB III are never pooled. Please choose one group: SGB II or SGB III.")),
    "too_few_answers": (400, N_("Fewer than 5 answers: not shown, to protect the anonymity of the people asked.")),
    "slot_unavailable": (409, N_("This time was just taken. Please choose another time.")),
    "slot_taken": (409, N_("This time was just taken. Please choose another time.")),
    "slot_in_past": (400, N_("This time lies in the past. Please choose another time.")),
    "invalid_phone": (400, N_("Please enter a valid phone number, for example 0151 23456789.")),
    "invalid_hours": (400, N_("The hours are not valid. Use the format 08:00-12:00, 14:00-17:30.")),
    "choice_not_allowed": (400, N_("Your office assigns the caseworker.")),
    "booking_not_found": (404, N_("This appointment does not exist.")),
    "booking_closed": (409, N_("This appointment was already cancelled or has taken place.")),
    "link_invalid": (400, N_("This link is not valid. Please use the link from your confirmation.")),
    # The titles named above: the general one, and those too long for one row.
    "bad_request": (400, _BAD_REQUEST),
    "proof_invalid": (400, _BAD_REQUEST),
    "invalid_policy": (400, _BAD_REQUEST),
    "invalid_office": (400, _BAD_REQUEST),
    "invitation_not_yet_valid": (403, _NOT_YET_VALID),
    "failure_contradicted": (409, _CONTRADICTED),
    "feedback_invalid": (400, _FEEDBACK_INVALID),
    "outside_availability": (400, _OUTSIDE_HOURS),
    "link_expired": (410, _LINK_EXPIRED),
}


def _domain_error(exc: Exception) -> tuple[int, str, str]:
    """(status, code, title in the page language) for a domain error, by its ``code``."""
    for kind in type(exc).__mro__:
        code = kind.__dict__.get("code")
        if isinstance(code, str) and code in _DOMAIN:
            status, title = _DOMAIN[code]
            return status, code, _(title)
    return 400, "bad_request", _(_BAD_REQUEST)


def domain_title(exc: Exception) -> str:
    """The page language's sentence for a domain error, for views that show it in a form."""
    return _domain_error(exc)[2]


_HTTP_TITLES = {
    400: N_("The request could not be processed."),
    403: N_("You are not allowed to open this page."),
    404: N_("This page does not exist."),
    405: N_("This action is not possible here."),
    413: N_("The request is too large."),
    429: N_("Too many attempts. Please wait a moment and try again."),
}


def _wants_json(request: web.Request) -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    if request.query.get("format") == "json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


async def _render(
    request: web.Request, status: int, code: str, title: str, *, fallback: bool, exc: BaseException | None = None
) -> web.StreamResponse:
    if _wants_json(request):
        return web.json_response({"error": {"code": code, "message": title}}, status=status)
    from web.error_context import error_context
    from web.templating import base_context  # the templating module imports the middlewares

    extra = await error_context(request, exc)
    return aiohttp_jinja2.render_template(
        "error.html",
        request,
        {**base_context(request), "status": status, "title": title, "show_fallback": fallback, **extra},
        status=status,
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (RoomsError, ConsentError, BookingError, PolicyError) as exc:
        status, code, title = _domain_error(exc)
        rendered = await _render(request, status, code, title, fallback=True, exc=exc)
        if isinstance(exc, CheckBusy):
            rendered.headers["Retry-After"] = str(exc.retry_after_seconds)
        return rendered
    except MalformedBody as exc:
        # Bad input, not our failure: one line, no traceback, nothing of the body itself.
        logger.warning("malformed request on %s %s: %s", request.method, request.match_info.route.name, exc.reason)
        return await _render(request, 400, "bad_request", _("The request could not be processed."), fallback=False)
    except FeedbackError as exc:
        status, code, title = _domain_error(exc)
        return await _render(request, status, code, title, fallback=False, exc=exc)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.status in (401,):
            raise
        title = _(_HTTP_TITLES.get(exc.status, "The request could not be processed."))
        if exc.status == 403 and request.path.startswith("/s/") and request.get("account") is None:
            title = _(
                "This appointment is open in another browser or on another device. Please use the one on which "
                "you opened the invitation link."
            )
        rendered = await _render(request, exc.status, f"http_{exc.status}", title, fallback=False, exc=exc)
        for header in ("Retry-After", "Allow"):
            if header in exc.headers:
                rendered.headers[header] = exc.headers[header]
        return rendered
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.match_info.route.name)
        title = _("Something went wrong on our side. Please try again later.")
        return await _render(request, 500, "internal", title, fallback=True)
