"""The manage link sent to oneself, by SMS or e-mail, from the booking confirmation (issue 26).

The number or address typed in is used for the one send and kept nowhere: not in the
database, not in Redis, not in a log. At most ``MANAGE_LINKS_PER_HOUR`` sends per booking.
"""

from __future__ import annotations

from aiohttp import web

from application.booking import OfficeInfo
from application.manage_link import send_manage_link
from booking.appointment import Appointment
from booking.errors import BookingClosed, InvalidPhone
from booking.phone import normalize_phone
from web.delivery import DeliveryFailed
from web.errors import N_
from web.i18n import gettext as _
from web.keys import DB, MANAGE_LINK_LIMITER, SETTINGS
from web.templating import when
from web.views.booking import TOKEN, manage_page, managed
from web.views.common import form_str, now, origin, redirect
from web.views.sending import EMAIL, SEND_REFUSALS
from web.views.session_page import mailer, sms_gateway

__all__ = ["routes"]

routes = web.RouteTableDef()

# Why nothing was sent -> (status of the confirmation shown again, its message).
_REFUSALS = {
    **SEND_REFUSALS,
    "closed": (409, N_("This appointment was already cancelled or has taken place.")),
    "limit": (429, N_("This link was sent several times in the last hour. Please try again later.")),
}


async def _again(
    request: web.Request, appointment: Appointment, office: OfficeInfo, reason: str, typed: dict[str, str]
) -> web.StreamResponse:
    status, message = _REFUSALS.get(reason, _REFUSALS["unavailable"])
    return manage_page(
        request,
        "booking/manage.html",
        appointment,
        office,
        send_error=_(message),
        send_form=typed,
        feedback_url=None,
        status=status,
    )


def _texts(request: web.Request, appointment: Appointment) -> tuple[str, str, str]:
    """(SMS text, e-mail subject, e-mail body) in the page's language; no authority named."""
    link = f"{origin(request)}/booking/manage/{request.match_info['token']}"
    moment = when(appointment.starts_at)
    sms = _("Your appointment on {time}. To see, move or cancel it: {link}").format(time=moment, link=link)
    body = "\n\n".join(
        [
            _("Hello,"),
            _("Your appointment is on {time}.").format(time=moment),
            _("With this link you can see, move or cancel it until it begins:"),
            link,
        ]
    )
    return sms, _("Your appointment"), body + "\n"


@routes.post(rf"/booking/manage/{TOKEN}/send/{{channel:sms|email}}")
async def send_link(request: web.Request) -> web.StreamResponse:
    appointment, office = await managed(request)
    channel = request.match_info["channel"]
    settings = request.app[SETTINGS]
    gateway, sender = sms_gateway(settings), mailer(settings)
    if (gateway if channel == "sms" else sender) is None:
        raise web.HTTPNotFound()
    form = await request.post()
    raw = form_str(form, "phone" if channel == "sms" else "email", 254)
    typed = {channel: raw}
    sms, subject, body = _texts(request, appointment)
    if channel == "sms":
        try:
            number = normalize_phone(raw)
        except InvalidPhone:
            return await _again(request, appointment, office, "phone", typed)

        async def deliver() -> None:
            assert gateway is not None
            await gateway.send(number, sms)
    else:
        if not EMAIL.match(raw):
            return await _again(request, appointment, office, "email", typed)

        async def deliver() -> None:
            assert sender is not None
            await sender.send(raw, subject, body)

    if not await request.app[MANAGE_LINK_LIMITER].hit(f"manage_link:{appointment.id}"):
        return await _again(request, appointment, office, "limit", typed)
    try:
        await send_manage_link(request.app[DB], appointment.id, channel, deliver, now(request))
    except DeliveryFailed as exc:
        return await _again(request, appointment, office, exc.reason, typed)
    except BookingClosed:
        return await _again(request, appointment, office, "closed", typed)
    redirect(f"/booking/manage/{request.match_info['token']}?sent={channel}#send-link")
