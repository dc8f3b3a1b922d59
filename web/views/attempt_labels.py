"""The attempt log's steps, failures and events in the page language (log page and proof)."""

from __future__ import annotations

from rooms.attempts import AttemptEvent, EventKind, Step, split_peer
from web.i18n import gettext as _

__all__ = ["step_label", "failure_label", "event_label"]


def step_label(step: Step | str) -> str:
    return {
        Step.LINK_OPENED: _("Invitation link opened"),
        Step.CONSENT: _("Consent given"),
        Step.CHECK: _("Device and connection check done"),
        Step.WAITING: _("Waited in the waiting room"),
        Step.ADMITTED: _("Admitted to the call"),
        Step.CONNECTING: _("Video connection tried"),
        Step.CONNECTED: _("Video connection established"),
    }[Step(step)]


def failure_label(failure: str) -> str:
    return {
        "no_connection": _("No video connection could be established."),
        "media_unavailable": _("Camera or microphone could not be used."),
        "dropped": _("The video connection broke off and could not be re-established."),
    }[failure]


def _role_label(role: str) -> str:
    return {
        "caseworker": _("caseworker"),
        "recipient": _("recipient"),
        "interpreter": _("interpreter"),
        "companion": _("companion"),
    }.get(role, role)


def event_label(event: AttemptEvent) -> str:
    """One log line in the page language; details stay the closed-vocabulary codes."""
    kind = event.kind
    value, peer = split_peer(event.detail)
    link = f" ({_role_label(peer)})" if peer else ""
    if kind is EventKind.CONNECTION:
        return _("Connection state: {state}").format(state=value) + link
    if kind is EventKind.ICE_GATHERED:
        return _("Network paths found: {types}").format(types=value) + link
    if kind is EventKind.ICE_ERROR:
        return _("Network path error, code {code}").format(code=value) + link
    if kind is EventKind.TURN:
        return _("Relay server (TURN): {state}").format(state=value) + link
    if kind is EventKind.MEDIA_ERROR:
        return _("Camera/microphone error: {kind}").format(kind=value)
    if kind is EventKind.BROWSER:
        return _("Browser cannot make video calls: {kind}").format(kind=value)
    if kind is EventKind.CHECK:
        return _("Device and connection check: {verdict}").format(verdict=value)
    if kind is EventKind.PROOF_ISSUED:
        return _("Proof of the attempt issued")
    if kind is EventKind.CONSENT:
        return _("Consent given")
    return step_label(kind.value)
