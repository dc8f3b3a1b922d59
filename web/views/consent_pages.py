"""The recipient's consent: the form in the person's language, the answer, the exact texts."""

from __future__ import annotations

import re

from aiohttp import web
from markupsafe import Markup, escape

from application.consenting import give_consent
from consent import texts
from rooms.session import CounselSession
from web.i18n import current_language
from web.i18n import gettext as _
from web.keys import DB, POLICY
from web.views.common import form_str, now, redirect
from web.views.participants import SID, recipient_of, recipient_page

__all__ = ["routes", "render_consent_text"]

routes = web.RouteTableDef()

_HEADING = re.compile(r"^## (.+)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render_consent_text(body: str) -> Markup:
    """The consent file's small Markdown subset (## headings, **bold**, paragraphs) as HTML."""
    html = []
    for block in body.strip().split("\n\n"):
        block = block.strip()
        heading = _HEADING.match(block)
        if heading:
            html.append(Markup("<h2>{}</h2>").format(heading.group(1)))
            continue
        # A single line break is kept: Leichte Sprache puts one sentence on each line.
        escaped = str(escape(block)).replace("\n", "<br>\n")
        html.append(Markup("<p>" + _BOLD.sub(r"<strong>\1</strong>", escaped) + "</p>"))
    return Markup("\n").join(html)


def _shown(request: web.Request, text: texts.ConsentText) -> texts.ConsentText:
    """The text as the person sees it: retention figures filled in from the policy."""
    return text.filled(request.app[POLICY].facts())


def _consent_page(
    request: web.Request, session: CounselSession, text: texts.ConsentText, **context: object
) -> web.StreamResponse:
    """The consent form with ``text`` (as shown) rendered."""
    return recipient_page(
        request, "recipient/consent.html", session, text=text, body=render_consent_text(text.body), **context
    )


@routes.get(rf"/s/{SID}/consent", name="consent")
async def consent_form(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    text = _shown(request, texts.current_text(current_language()))
    return _consent_page(request, session, text, error=None)


@routes.post(rf"/s/{SID}/consent")
async def consent_submit(request: web.Request) -> web.StreamResponse:
    session, participant, _consented = await recipient_of(request)
    session.ensure_joinable()
    form = await request.post()
    shown = _shown(request, texts.current_text(current_language()))
    if form.get("switch_language"):
        # The language switcher: the text in the new language, the tick kept, nothing recorded.
        return _consent_page(request, session, shown, error=None, agreed=form.get("agree") == "yes")
    if form_str(form, "action") == "decline":
        redirect(f"/s/{session.id}/no-consent")
    language = form_str(form, "language", 8)
    version = form_str(form, "version", 32)
    text = _shown(request, texts.current_text(language if language in texts.languages() else "de"))
    if form.get("agree") != "yes" or version != text.version or language != text.language:
        message = (
            _("Please tick the box to confirm your consent.")
            if form.get("agree") != "yes"
            else _("The consent text has changed. Please read it again.")
        )
        return _consent_page(request, session, shown, error=message, status=400)
    await give_consent(request.app[DB], participant, text, now(request))
    redirect(f"/s/{session.id}/wait")


@routes.get(rf"/s/{SID}/no-consent", name="no_consent")
async def no_consent(request: web.Request) -> web.StreamResponse:
    session, _participant, _consented = await recipient_of(request)
    return recipient_page(request, "recipient/no_consent.html", session)


@routes.get("/consent/{language:" + texts.LANGUAGE_PATTERN + "}/{version:[0-9]{1,6}}.txt", name="consent_text")
async def consent_text(request: web.Request) -> web.StreamResponse:
    """The exact bytes of a consent text (as filled under the current policy), so anyone
    can check a stored SHA-256."""
    text = texts.text_by_version(request.match_info["language"], request.match_info["version"])
    text = _shown(request, text)
    return web.Response(text=text.body, content_type="text/plain", charset="utf-8")
