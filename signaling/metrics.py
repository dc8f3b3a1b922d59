"""What the signalling edge reports, as a neutral interface the composition root fills in.

``web.metrics.Metrics`` implements it with Prometheus; ``NoMetrics`` (the default) does
nothing. Nothing reported names a person, a session or a participant: event names and
error codes only, and durations.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["SignalingMetrics", "NoMetrics"]


class SignalingMetrics(Protocol):
    def relayed(self, event: str) -> None:
        """One signalling message (offer, answer, candidate, hangup) was relayed."""

    def refused(self, code: str) -> None:
        """One event was refused with ``code`` (the ack's ``error.code``)."""

    def call_set_up(self, seconds: float) -> None:
        """From a relayed offer to the next relayed answer in the same call."""

    def admitted(self, waited_seconds: float) -> None:
        """A recipient was admitted after waiting this long."""

    def echo_refused(self) -> None:
        """A pre-call echo check was refused: the node runs as many as it may."""


class NoMetrics:
    """Reports nowhere."""

    def relayed(self, event: str) -> None:
        pass

    def refused(self, code: str) -> None:
        pass

    def call_set_up(self, seconds: float) -> None:
        pass

    def admitted(self, waited_seconds: float) -> None:
        pass

    def echo_refused(self) -> None:
        pass
