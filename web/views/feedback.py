"""Anonymous feedback: the recipient's one-time questionnaire and the caseworker's rating.

The token travels once in the link, is exchanged at once for an HttpOnly cookie scoped to
``/feedback`` and a token-free URL, and is used up in the transaction that stores the answer.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from feedback.errors import InvalidAnswer, TokenInvalid
from feedback.questionnaire import (
    COMMENT_LIMIT,
    QUESTIONS,
    RATING_QUESTIONS,
    parse_answers,
    parse_rating,
    questions_for,
)
from feedback.tokens import FeedbackContext, channel_for_outcome, looks_like_token, month_of
from rooms.session import CounselSession
from storage import feedback as store
from storage import sessions
from web.i18n import gettext as _
from web.keys import DB, SETTINGS
from web.views.common import form_str, now, redirect, require_role

__all__ = ["routes", "FEEDBACK_COOKIE", "session_context", "answer_message"]

routes = web.RouteTableDef()

FEEDBACK_COOKIE = "vb_feedback"
_COOKIE_LIFETIME = 2 * 3600


def session_context(session: CounselSession) -> FeedbackContext | None:
    """What an answer about ``session`` may carry; None when there is nothing to rate."""
    channel = channel_for_outcome(session.outcome.value if session.outcome else None)
    if channel is None or session.ended_at is None:
        return None
    return FeedbackContext(session.group.value, session.office_id, channel, month_of(session.ended_at))


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


@routes.get("/feedback/t/{token}", name="feedback_link")
async def open_link(request: web.Request) -> web.StreamResponse:
    """Check the token, move it into a cookie, continue on a token-free URL."""
    token = request.match_info["token"]
    if not looks_like_token(token):
        raise TokenInvalid()
    async with request.app[DB]() as db:
        await store.token_context(db, token, now(request))
    response = web.HTTPSeeOther("/feedback")
    response.set_cookie(
        FEEDBACK_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.app[SETTINGS].secure_cookies,
        path="/feedback",
        max_age=_COOKIE_LIFETIME,
    )
    raise response


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
    async with request.app[DB]() as db:
        context = await store.token_context(db, token, now(request))
    return _form(request, context.channel, {}, None, 200)


@routes.post("/feedback")
async def feedback_submit(request: web.Request) -> web.StreamResponse:
    token = _cookie_token(request)
    form = await request.post()
    moment = now(request)
    async with request.app[DB]() as db:
        context = await store.token_context(db, token, moment)
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
    async with request.app[DB].begin() as db:
        await store.submit_response(db, token, answers, moment)
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
    async with request.app[DB]() as db:
        session = await sessions.get_session(db, session_id)
    if session.caseworker_id != account.id:
        raise web.HTTPNotFound()
    context = session_context(session)
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
    async with request.app[DB].begin() as db:
        await store.record_rating(db, session.id, context, rating)
    redirect(f"/sessions/{session.id}?rated=1")
