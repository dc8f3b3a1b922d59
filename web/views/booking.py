"""The recipient's booking: a phone or in-person appointment from every dead end of video.

``/s/<session>/fallback`` offers free times of the session's caseworker (or of any
caseworker of the office); a booking leads to its confirmation at the signed
``/booking/manage/<token>``, which also serves the .ics, cancels and reschedules.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_date, format_time

from application import booking
from application.booking import OfficeInfo, Refused
from booking.appointment import Appointment, BookingRequest, Channel, Status
from booking.availability import BERLIN
from booking.calendar import appointment_ics
from booking.errors import InvalidPhone, LinkExpired, SlotTaken, SlotUnavailable
from booking.offices import one_line
from booking.phone import display_phone, normalize_phone
from feedback.tokens import TOKEN_LIFETIME
from rooms.session import CounselSession
from web.errors import N_, FormError, domain_title
from web.i18n import babel_locale
from web.i18n import gettext as _
from web.keys import BOOKING_LIMITER, DB, MANAGE_LINKS
from web.views.common import form_str, now, redirect
from web.views.feedback_link import booking_feedback_token, remember_feedback_link
from web.views.recipient import SID, recipient_of, recipient_page

__all__ = ["routes"]

routes = web.RouteTableDef()

_TOKEN = r"{token:[A-Za-z0-9_.=-]{1,200}}"
_SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"

# Why the person is here; each dead end of the video path links with its reason.
REASONS = {
    "no_consent": N_("You did not consent to video. That is fine."),
    "declined": N_("The video appointment could not take place."),
    "withdrawn": N_("You have withdrawn your consent. The video call has ended."),
    "media": N_("Camera or microphone are not available."),
    "connection": N_("The connection check failed."),
    "call_failed": N_("The video call broke off or did not start."),
    "waited_too_long": N_("The wait was too long."),
    "browser": N_("This browser cannot make video calls."),
}


def slot_days(slots: list[datetime]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Slots grouped by Berlin day: [(day label, [(form value, "HH:MM")])]."""
    days: dict[str, list[tuple[str, str]]] = {}
    for slot in slots:
        local = slot.astimezone(BERLIN)
        label = format_date(local.date(), "full", locale=babel_locale())
        time = format_time(local, "short", locale=babel_locale())
        days.setdefault(label, []).append((slot.strftime(_SLOT_FORMAT), time))
    return list(days.items())


def _parse_slot(value: str) -> datetime:
    try:
        return datetime.strptime(value, _SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise FormError(_("Please choose a time.")) from None


def _parse_key(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FormError(_("The form has expired. Please choose your time again.")) from None


def manage_url(request: web.Request, appointment: Appointment) -> str:
    """The signed link to the confirmation; it stops working when the appointment begins."""
    return f"/booking/manage/{request.app[MANAGE_LINKS].issue(appointment.id, appointment.starts_at)}"


async def _limit(request: web.Request, key: str) -> None:
    if not await request.app[BOOKING_LIMITER].hit(key):
        raise web.HTTPTooManyRequests(headers={"Retry-After": "10"})


async def _form(
    request: web.Request,
    session: CounselSession,
    values: dict[str, str],
    *,
    error: str | None = None,
    alternatives: list[datetime] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    offer = await booking.offer(request.app[DB], session, values.get("who") or "mine", now(request))
    values = {**values, "who": offer.who, "idempotency_key": values.get("idempotency_key") or str(uuid.uuid4())}
    reason = values.get("reason", "")
    return recipient_page(
        request,
        "recipient/fallback.html",
        session,
        reason=reason,
        reason_text=_(REASONS[reason]) if reason in REASONS else None,
        office=offer.office,
        days=slot_days(offer.slots),
        form=values,
        error=error,
        alternatives=alternatives or [],
        status=status,
    )


@routes.get(rf"/s/{SID}/fallback", name="fallback")
async def fallback(request: web.Request) -> web.StreamResponse:
    """Where every dead end leads: choose phone or in person, a caseworker and a time."""
    session, participant, _consented = await recipient_of(request)
    booked = await booking.active_booking(request.app[DB], participant.id, now(request))
    if booked is not None:
        redirect(manage_url(request, booked))
    values = {k: request.query.get(k, "")[:32] for k in ("reason", "who", "channel")}
    return await _form(request, session, values)


@routes.post(rf"/s/{SID}/fallback")
async def book(request: web.Request) -> web.StreamResponse:
    session, participant, _consented = await recipient_of(request)
    form = await request.post()
    values = {k: form_str(form, k, 64) for k in ("channel", "slot", "phone", "who", "idempotency_key", "reason")}
    if form.get("switch_language"):
        # The language switcher sent the form as typed: show it again in the new language.
        return await _form(request, session, values)
    await _limit(request, participant.id)
    moment = now(request)
    booked = await booking.active_booking(request.app[DB], participant.id, moment)
    if booked is not None:
        # Back button or a second submit: the booking exists, show it, book nothing new.
        redirect(manage_url(request, booked))
    try:
        wanted = _parse_request(values, session, participant.id)
    except FormError as exc:
        return await _form(request, session, values, error=exc.message, status=exc.status)
    try:
        appointment = await booking.book_with_first_free(request.app[DB], session, wanted, values["who"], moment)
    except Refused as exc:
        return await _refusal(request, session, values, exc)
    redirect(manage_url(request, appointment))


def _parse_request(values: dict[str, str], session: CounselSession, participant_id: str) -> BookingRequest:
    try:
        channel = Channel(values["channel"])
    except ValueError:
        raise FormError(_("Please choose: by phone or in person.")) from None
    phone = None
    if channel is Channel.PHONE:
        try:
            phone = normalize_phone(values["phone"])
        except InvalidPhone as exc:
            raise FormError(domain_title(exc)) from None
    return BookingRequest(
        caseworker_id=session.caseworker_id,
        channel=channel,
        starts_at=_parse_slot(values["slot"]),
        idempotency_key=_parse_key(values["idempotency_key"]),
        session_id=session.id,
        participant_id=participant_id,
        office_id=session.office_id,
        group=session.group.value,
        phone=phone,
    )


async def _refusal(
    request: web.Request, session: CounselSession, values: dict[str, str], refused: Refused
) -> web.StreamResponse:
    """The form again, with what was entered, why, and the next free times."""
    # "Taken" is the most useful answer when several caseworkers were tried.
    worst = next((r for r in refused.refusals if isinstance(r, SlotTaken)), refused.refusals[0])
    alternatives = refused.alternatives()
    status = 409 if isinstance(worst, SlotTaken) else 400
    values = {**values, "slot": ""}
    return await _form(request, session, values, error=domain_title(worst), alternatives=alternatives, status=status)


# ---- the signed confirmation: show, calendar file, cancel, reschedule ---------------


async def _managed(request: web.Request) -> tuple[Appointment, OfficeInfo]:
    booking_id = request.app[MANAGE_LINKS].verify(request.match_info["token"], now(request))
    return await booking.with_office(request.app[DB], booking_id)


def _manage_page(
    request: web.Request, template: str, appointment: Appointment, office: OfficeInfo, **context: object
) -> web.StreamResponse:
    status = int(str(context.pop("status", 200)))
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            "appointment": appointment,
            "office": office,
            "phone": display_phone(appointment.phone) if appointment.phone else None,
            "token": request.match_info["token"],
            "fallback_url": f"/s/{appointment.session_id}/fallback" if appointment.session_id else None,
            **context,
        },
        status=status,
    )


@routes.get(rf"/booking/manage/{_TOKEN}", name="booking_manage")
async def manage(request: web.Request) -> web.StreamResponse:
    """The confirmation: the appointment in Berlin time, the .ics, cancel and reschedule;
    once the caseworker marked it done, the one feedback link (issue 12)."""
    try:
        appointment, office = await _managed(request)
    except LinkExpired:
        # After the appointment the page lives on for the feedback link only.
        booking_id = request.app[MANAGE_LINKS].verify(request.match_info["token"], now(request), TOKEN_LIFETIME)
        appointment, office = await booking.with_office(request.app[DB], booking_id)
        if appointment.status is not Status.DONE:
            raise
    cookie_path = f"/booking/manage/{request.match_info['token']}"
    token = await booking_feedback_token(request, appointment.id, cookie_path)
    response = _manage_page(
        request, "booking/manage.html", appointment, office, feedback_url=f"/feedback/t/{token}" if token else None
    )
    remember_feedback_link(request, response, cookie_path, token)
    return response


def _summary(appointment: Appointment, office: OfficeInfo) -> str:
    # The title shows on lock screens: no authority's name (the LOCATION has the address).
    if appointment.channel is Channel.PHONE:
        return _("Phone appointment")
    return _("Appointment in person")


@routes.get(rf"/booking/manage/{_TOKEN}/termin.ics", name="booking_ics")
async def calendar_file(request: web.Request) -> web.StreamResponse:
    appointment, office = await _managed(request)
    description = (
        _("Your caseworker will call you.")
        if appointment.channel is Channel.PHONE
        else _("Please bring your invitation and an identity document.")
    )
    body = appointment_ics(
        appointment.id,
        appointment.starts_at,
        appointment.ends_at,
        _summary(appointment, office),
        description,
        f"{office.name}, {one_line(office.address)}" if appointment.channel is Channel.IN_PERSON else "",
        now(request),
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="termin.ics"'},
    )


@routes.post(rf"/booking/manage/{_TOKEN}/cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    appointment, _office = await _managed(request)
    await _limit(request, f"booking:{appointment.id}")
    await booking.cancel(request.app[DB], appointment.id)
    redirect(f"/booking/manage/{request.match_info['token']}?cancelled=1")


async def _reschedule_form(
    request: web.Request,
    appointment: Appointment,
    office: OfficeInfo,
    *,
    error: str | None = None,
    status: int = 200,
    selected: str = "",
    idempotency_key: str = "",
) -> web.StreamResponse:
    shown = await booking.free_slots_of(request.app[DB], appointment, now(request))
    return _manage_page(
        request,
        "booking/reschedule.html",
        appointment,
        office,
        days=slot_days(shown),
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        selected=selected,
        error=error,
        status=status,
    )


@routes.get(rf"/booking/manage/{_TOKEN}/reschedule", name="booking_reschedule")
async def reschedule_form(request: web.Request) -> web.StreamResponse:
    appointment, office = await _managed(request)
    return await _reschedule_form(request, appointment, office)


@routes.post(rf"/booking/manage/{_TOKEN}/reschedule")
async def reschedule(request: web.Request) -> web.StreamResponse:
    """Book the new time and cancel the old one in one transaction: never both, never neither."""
    appointment, office = await _managed(request)
    form = await request.post()
    if form.get("switch_language"):
        return await _reschedule_form(
            request,
            appointment,
            office,
            selected=form_str(form, "slot", 32),
            idempotency_key=form_str(form, "idempotency_key", 64),
        )
    await _limit(request, f"booking:{appointment.id}")
    try:
        starts_at = _parse_slot(form_str(form, "slot", 32))
        key = _parse_key(form_str(form, "idempotency_key", 64))
        moved = await booking.reschedule(request.app[DB], appointment, starts_at, key, now(request))
    except FormError as exc:
        return await _reschedule_form(request, appointment, office, error=exc.message, status=exc.status)
    except SlotUnavailable as exc:
        status = 409 if isinstance(exc, SlotTaken) else 400
        return await _reschedule_form(request, appointment, office, error=domain_title(exc), status=status)
    redirect(manage_url(request, moved))
