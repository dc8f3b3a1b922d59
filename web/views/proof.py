"""The proof of a failed attempt: issued to the recipient, verified by anyone at ``/proof``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_datetime

from application.attempts import issue_proof
from rooms.errors import ProofInvalid
from rooms.proof import MAX_CODE_LENGTH, ProofFacts
from web import i18n
from web.i18n import gettext as _
from web.keys import DB, PROOF_SIGNER
from web.qr import qr_svg
from web.views.attempt_labels import evidence_labels, failure_label, step_label
from web.views.common import BERLIN, now, origin
from web.views.participants import SID, recipient_of

__all__ = ["routes"]

routes = web.RouteTableDef()


@contextmanager
def _language(language: str) -> Iterator[None]:
    previous = i18n.current_language()
    i18n.use_language(language)
    try:
        yield
    finally:
        i18n.use_language(previous)


def _time(value: datetime, language: str) -> str:
    # Leichte Sprache ("de-x-ls") is no Babel locale: format as its language's locale.
    return format_datetime(value, "dd.MM.yyyy, HH:mm", tzinfo=BERLIN, locale=i18n.language_info(language).locale)


def _rendered(facts: ProofFacts, language: str) -> dict[str, Any]:
    """The proof's facts and labels in one language (the page shows the person's and German)."""
    with _language(language):
        return {
            "lang": language,
            "title": _("Proof of the connection attempt"),
            "intro": _(
                "The server of the Jobcenter's video counselling confirms this attempt. "
                "Nothing of the conversation was recorded."
            ),
            "labels": {
                "when": _("Attempt"),
                "scheduled": _("Appointment"),
                "office": _("Office"),
                "reference": _("Reference"),
                "tried": _("What was tried"),
                "failed": _("What failed"),
                "code": _("Verification code"),
                "issued": _("Issued"),
                "valid": _("Verifiable until"),
                "basis": _("This proof rests on"),
            },
            "office": facts.office,
            "reference": facts.reference,
            "when": f"{_time(facts.first_at, language)} – {_time(facts.last_at, language)}",
            "scheduled": _time(facts.scheduled_at, language) if facts.scheduled_at else None,
            "tried": [step_label(s) for s in facts.tried],
            "failed": [failure_label(f) for f in facts.failures],
            "basis": evidence_labels(facts.evidence),
            "one_sided": facts.one_sided,
            "issued": _time(facts.issued_at, language),
            "valid": _time(facts.expires_at, language),
            "verify_hint": _("Check this proof at {url} with the code, or scan the QR code."),
        }


def _versions(facts: ProofFacts) -> list[dict[str, Any]]:
    """The person's language first, then German (once, when they are the same)."""
    languages = [i18n.current_language()]
    if "de" not in languages:
        languages.append("de")
    return [_rendered(facts, lang) for lang in languages]


@routes.get(rf"/s/{SID}/proof", name="attempt_proof")
async def attempt_proof(request: web.Request) -> web.StreamResponse:
    """A printable, signed proof; only after this participant's attempt failed."""
    session, participant, _consented = await recipient_of(request)
    facts = await issue_proof(request.app[DB], session, participant, now(request))
    code = request.app[PROOF_SIGNER].sign(facts)
    verify_url = f"{origin(request)}/proof"
    return aiohttp_jinja2.render_template(
        "proof/proof.html",
        request,
        {
            "versions": _versions(facts),
            "code": code,
            "verify_url": verify_url,
            "qr": qr_svg(f"{verify_url}?code={code}", scale=3, title=_("QR code of the verification link")),
            "session": session,
        },
    )


@routes.get("/proof", name="verify_proof")
async def verify_proof(request: web.Request) -> web.StreamResponse:
    """The public check: the same facts for a genuine code, else only "not valid"."""
    code = request.query.get("code", "")
    facts = None
    checked = bool(code.strip())
    if checked:
        try:
            facts = request.app[PROOF_SIGNER].verify(code[: MAX_CODE_LENGTH + 1], now(request))
        except ProofInvalid:
            facts = None
    return aiohttp_jinja2.render_template(
        "proof/verify.html",
        request,
        {
            "checked": checked,
            "valid": facts is not None,
            "versions": _versions(facts) if facts else [],
        },
    )
