"""The attempt log's steps, failures and events in the page language (log page and proof)."""

from __future__ import annotations

from rooms.attempts import AttemptEvent, EventKind, Evidence, Step, split_peer
from web.i18n import gettext as _

__all__ = ["step_label", "failure_label", "event_label", "evidence_labels"]


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


def evidence_labels(evidence: tuple[Evidence, ...]) -> list[str]:
    """What a proof rests on, in plain words; a one-sided proof says the other device was silent."""
    words = {
        Evidence.OWN: _("The reports of the device for which this proof was issued."),
        Evidence.OTHER: _("The reports of the other device in the same appointment, which agree."),
        Evidence.SET_UP: _("The server's own record: it passed on the connection set-up between both devices."),
        Evidence.NO_SET_UP: _("The server's own record: no complete connection set-up passed between both devices."),
        Evidence.TURN: _("The server's own record: it gave this device access to its relay server (TURN)."),
    }
    lines = [words[e] for e in evidence]
    if Evidence.OWN in evidence and Evidence.OTHER not in evidence:
        lines.append(
            _(
                "The other device reported nothing about this connection (for example, because its page was "
                "closed). This proof therefore rests only on the evidence listed here."
            )
        )
    return lines


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
    if kind is EventKind.RELAYED:
        return _("Server passed on: {step}").format(step=value) + link
    if kind is EventKind.TURN_ISSUED:
        return _("Server issued relay server (TURN) access")
    if kind is EventKind.PROOF_ISSUED:
        return _("Proof of the attempt issued")
    if kind is EventKind.CONSENT:
        return _("Consent given")
    return step_label(kind.value)
