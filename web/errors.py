"""The one place where errors become HTTP responses: a German page for people, JSON for clients."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from booking.errors import (
    BookingClosed,
    BookingError,
    BookingNotFound,
    ChoiceNotAllowed,
    InvalidHours,
    InvalidPhone,
    LinkExpired,
    LinkInvalid,
    OutsideAvailability,
    SlotInPast,
    SlotTaken,
)
from consent.errors import ConsentError, ConsentMissing, UnknownText
from feedback.errors import (
    AlreadyRated,
    FeedbackError,
    InvalidAnswer,
    PooledRequest,
    TokenExpired,
    TokenInvalid,
    TokenUsed,
    TooFewAnswers,
)
from rooms.errors import (
    CallFull,
    CheckBusy,
    CheckNotFound,
    CheckOfferInvalid,
    IllegalTransition,
    InvalidAttemptEvent,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotYetValid,
    InvitationRevoked,
    NoFailedAttempt,
    NotAdmitted,
    RoomsError,
    SessionClosed,
    SessionNotFound,
    ThirdExists,
    ThirdNotAgreed,
    WrongInvitation,
)
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


def _domain_error(exc: Exception) -> tuple[int, str, str]:
    """(status, code, German/English title) for a domain error."""
    table: list[tuple[type[Exception], int, str, str]] = [
        (InvitationExpired, 410, "invitation_expired", _("This invitation link has expired.")),
        (
            InvitationNotYetValid,
            403,
            "invitation_not_yet_valid",
            _("This invitation link is not valid yet. Please open it shortly before your appointment."),
        ),
        (
            InvitationRevoked,
            410,
            "invitation_revoked",
            _("This invitation link was withdrawn. Please ask your caseworker for a new link."),
        ),
        (InvitationInvalid, 400, "invitation_invalid", _("This invitation link is not valid.")),
        (SessionNotFound, 404, "not_found", _("This appointment does not exist.")),
        (SessionClosed, 410, "session_closed", _("This appointment has already ended.")),
        (NotAdmitted, 403, "not_admitted", _("You have not been admitted to this call yet.")),
        (
            CheckBusy,
            503,
            "check_busy",
            _("All test connections are busy right now. Please try again in a moment."),
        ),
        (CheckNotFound, 404, "check_not_found", _("This connection test has already ended.")),
        (CheckOfferInvalid, 400, "check_offer_invalid", _("Your browser's connection offer could not be used.")),
        (InvalidAttemptEvent, 400, "bad_request", _("The request could not be processed.")),
        (
            NoFailedAttempt,
            409,
            "no_failed_attempt",
            _("No failed connection attempt has been recorded for you in this appointment."),
        ),
        (CallFull, 409, "call_full", _("The call already has three participants. Nobody else can join.")),
        (ThirdExists, 409, "third_exists", _("This session already has a third person. Remove them first.")),
        (
            ThirdNotAgreed,
            403,
            "third_not_agreed",
            _("The person you are to accompany has not agreed yet. Please try again in a moment."),
        ),
        (
            WrongInvitation,
            403,
            "wrong_invitation",
            _("This link was made for another person. Please use your own invitation link."),
        ),
        (IllegalTransition, 409, "conflict", _("That is not possible at this point.")),
        (ConsentMissing, 403, "consent_required", _("Please give your consent first.")),
        (UnknownText, 404, "not_found", _("This page does not exist.")),
        (
            TokenUsed,
            410,
            "feedback_used",
            _("This feedback link was already used: your answers were recorded once. Thank you!"),
        ),
        (TokenExpired, 410, "feedback_expired", _("This feedback link has expired.")),
        (
            TokenInvalid,
            400,
            "feedback_invalid",
            _("This feedback link is not valid, or it was used already: each link records answers once."),
        ),
        (InvalidAnswer, 400, "invalid_answer", _("Some answers are not valid.")),
        (AlreadyRated, 409, "already_rated", _("This session has already been rated.")),
        (
            PooledRequest,
            400,
            "pooled",
            _("SGB II and SGB III are never pooled. Please choose one group: SGB II or SGB III."),
        ),
        (
            TooFewAnswers,
            400,
            "too_few_answers",
            _("Fewer than 5 answers: not shown, to protect the anonymity of the people asked."),
        ),
        (SlotTaken, 409, "slot_taken", _("This time was just taken. Please choose another time.")),
        (SlotInPast, 400, "slot_in_past", _("This time lies in the past. Please choose another time.")),
        (
            OutsideAvailability,
            400,
            "outside_availability",
            _("No appointments are offered at this time. Please choose one of the times shown."),
        ),
        (InvalidPhone, 400, "invalid_phone", _("Please enter a valid phone number, for example 0151 23456789.")),
        (InvalidHours, 400, "invalid_hours", _("The hours are not valid. Use the format 08:00-12:00, 14:00-17:30.")),
        (ChoiceNotAllowed, 400, "choice_not_allowed", _("Your office assigns the caseworker.")),
        (BookingNotFound, 404, "booking_not_found", _("This appointment does not exist.")),
        (BookingClosed, 409, "booking_closed", _("This appointment was already cancelled or has taken place.")),
        (
            LinkExpired,
            410,
            "link_expired",
            _("This link has expired: the appointment has begun or is over. Please contact your Jobcenter."),
        ),
        (LinkInvalid, 400, "link_invalid", _("This link is not valid. Please use the link from your confirmation.")),
        (RoomsError, 400, "bad_request", _("The request could not be processed.")),
        (FeedbackError, 400, "bad_request", _("The request could not be processed.")),
        (ConsentError, 400, "bad_request", _("The request could not be processed.")),
        (BookingError, 400, "bad_request", _("The request could not be processed.")),
    ]
    for kind, status, code, title in table:
        if isinstance(exc, kind):
            return status, code, title
    raise exc


def domain_title(exc: Exception) -> str:
    """The page language's sentence for a domain error, for views that show it in a form."""
    return _domain_error(exc)[2]


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


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
    except (RoomsError, ConsentError, BookingError) as exc:
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
