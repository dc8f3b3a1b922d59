"""Anonymous feedback: the recipient's one-time questionnaire and the caseworker's rating.

The token travels once in the link, is exchanged at once for an HttpOnly cookie scoped to
``/feedback`` and a token-free URL, and is used up in the transaction that stores the answer.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application import feedback_intake as intake
from feedback.errors import InvalidAnswer, TokenInvalid
from feedback.questionnaire import (
    COMMENT_LIMIT,
    QUESTIONS,
    RATING_QUESTIONS,
    parse_answers,
    parse_rating,
    questions_for,
)
from feedback.tokens import looks_like_token, normalise_code
from web.cookie_setting import set_private_cookie
from web.i18n import gettext as _
from web.keys import BOOKING_LIMITER, DB
from web.qr import qr_svg
from web.views.common import form_str, now, origin, redirect, require_role

__all__ = [
    "routes",
    "FEEDBACK_COOKIE",
    "answer_message",
]

routes = web.RouteTableDef()

FEEDBACK_COOKIE = "vb_feedback"
_COOKIE_LIFETIME = 2 * 3600


def answer_message(exc: InvalidAnswer) -> str:
    """A clear message for a bad answer, naming the question."""
    labels = {q.name: q.label for q in QUESTIONS + RATING_QUESTIONS}
    label = _(labels.get(exc.field, exc.field))
    if exc.reason == "missing":
        return _("Please answer this question: %(question)s") % {"question": label}
    if exc.reason == "too_long":
        return _("Your comment is too long: at most %(limit)d characters, please shorten it.") % {
            "limit": COMMENT_LIMIT
        }
    return _("Please choose one of the offered answers for: %(question)s") % {"question": label}


def _cookie_token(request: web.Request) -> str:
    token = request.cookies.get(FEEDBACK_COOKIE, "")
    if not looks_like_token(token):
        raise TokenInvalid()
    return token


def _to_form(request: web.Request, token: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther("/feedback")
    set_private_cookie(request, response, FEEDBACK_COOKIE, token, path="/feedback", max_age=_COOKIE_LIFETIME)
    return response


@routes.get("/feedback/t/{token}", name="feedback_link")
async def open_link(request: web.Request) -> web.StreamResponse:
    """Check the token, move it into a cookie, continue on a token-free URL."""
    token = request.match_info["token"]
    await intake.check_token(request.app[DB], token, now(request))
    raise _to_form(request, token)


@routes.get("/f", name="feedback_code")
async def code_form(request: web.Request) -> web.StreamResponse:
    """The short URL printed on the card: type the code from it."""
    return aiohttp_jinja2.render_template("feedback/code.html", request, {"error": None, "code": ""})


async def _limit_guessing(request: web.Request) -> None:
    # Codes are short: guessing is slowed per client (in memory, or shared through Redis
    # by every node; never stored).
    if not await request.app[BOOKING_LIMITER].hit(f"feedback-code:{request.remote}"):
        raise web.HTTPTooManyRequests(headers={"Retry-After": "10"})


@routes.get("/f/{code}")
async def code_link(request: web.Request) -> web.StreamResponse:
    """The card's QR code: the code in the URL, exchanged like a link token."""
    await _limit_guessing(request)
    code = normalise_code(request.match_info["code"])
    if code is None:
        raise TokenInvalid()
    await intake.check_token(request.app[DB], code, now(request))
    raise _to_form(request, code)


@routes.post("/f")
async def code_submit(request: web.Request) -> web.StreamResponse:
    await _limit_guessing(request)
    form = await request.post()
    typed = form_str(form, "code", 40)
    code = normalise_code(typed)
    if code is None:
        return aiohttp_jinja2.render_template(
            "feedback/code.html",
            request,
            {"error": _("Please type the 10 characters of the code on your card."), "code": typed},
            status=400,
        )
    await intake.check_token(request.app[DB], code, now(request))
    raise _to_form(request, code)


def _form(
    request: web.Request, channel: str, values: dict[str, str], error: str | None, status: int
) -> web.StreamResponse:
    return aiohttp_jinja2.render_template(
        "feedback/form.html",
        request,
        {
            "questions": questions_for(channel),
            "values": values,
            "error": error,
            "comment_limit": COMMENT_LIMIT,
        },
        status=status,
    )


@routes.get("/feedback", name="feedback")
async def feedback_form(request: web.Request) -> web.StreamResponse:
    token = _cookie_token(request)
    context = await intake.check_token(request.app[DB], token, now(request))
    return _form(request, context.channel, {}, None, 200)


@routes.post("/feedback")
async def feedback_submit(request: web.Request) -> web.StreamResponse:
    token = _cookie_token(request)
    form = await request.post()
    moment = now(request)
    context = await intake.check_token(request.app[DB], token, moment)
    if form.get("switch_language"):
        # The language switcher sent the answers as given: show them in the new language.
        values = {q.name: form_str(form, q.name, 4 * COMMENT_LIMIT) for q in QUESTIONS}
        return _form(request, context.channel, values, None, 200)
    try:
        answers = parse_answers(form, context.channel)
    except InvalidAnswer as exc:
        # Show everything again as typed (the comment in full), so nothing is lost.
        values = {q.name: form_str(form, q.name, 4 * COMMENT_LIMIT) for q in QUESTIONS}
        return _form(request, context.channel, values, answer_message(exc), 400)
    await intake.submit_answers(request.app[DB], token, answers, moment)
    response = web.HTTPSeeOther("/feedback/thanks")
    response.del_cookie(FEEDBACK_COOKIE, path="/feedback")
    raise response


@routes.get("/feedback/thanks", name="feedback_thanks")
async def thanks(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("feedback/thanks.html", request, {})


@routes.post(r"/sessions/{session_id:[0-9a-f-]{36}}/rating")
async def rate_session(request: web.Request) -> web.StreamResponse:
    """The caseworker's short rating, stored without the session, once per session."""
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    form = await request.post()
    session, context = await intake.rateable_session(request.app[DB], session_id, account.id)
    if context is None:
        raise web.HTTPBadRequest()
    try:
        rating = parse_rating(form)
    except InvalidAnswer as exc:
        return aiohttp_jinja2.render_template(
            "error.html",
            request,
            {"status": 400, "title": answer_message(exc), "show_fallback": False},
            status=400,
        )
    await intake.rate_session(request.app[DB], session.id, context, rating)
    redirect(f"/sessions/{session.id}?rated=1")


# ---- phone and in-person appointments: the printable card with a short code -------------


@routes.get(r"/appointments/{booking_id:[0-9a-f-]{36}}/done", name="appointment_done")
async def appointment_done(request: web.Request) -> web.StreamResponse:
    """After "done": offer the feedback card, unless the person got their link already."""
    account = require_role(request, "caseworker")
    offer = await intake.card_offer(request.app[DB], request.match_info["booking_id"], account.id)
    return aiohttp_jinja2.render_template(
        "feedback/appointment_done.html",
        request,
        {"booking_id": offer.booking_id, "can_offer": offer.can_offer, "offered": offer.offered},
    )


def _grouped(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@routes.post(r"/appointments/{booking_id:[0-9a-f-]{36}}/feedback-card")
async def feedback_card(request: web.Request) -> web.StreamResponse:
    """Mint the appointment's one short code and show it as a printable card with a QR code.
    The code is shown this once; only its hash is stored, like every feedback token."""
    account = require_role(request, "caseworker")
    booking_id, code = await intake.mint_card_code(
        request.app[DB], request.match_info["booking_id"], account.id, now(request)
    )
    if code is None:
        redirect(f"/appointments/{booking_id}/done")
    short_url = f"{origin(request)}/f"
    return aiohttp_jinja2.render_template(
        "feedback/card.html",
        request,
        {
            "code": _grouped(code),
            "short_url": short_url,
            "qr_svg": qr_svg(f"{short_url}/{code}", scale=4, title="QR"),
        },
    )
