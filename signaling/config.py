"""The settings the signalling edge reads, as a protocol: it never imports the web edge.

``web.settings.Settings`` satisfies it; the composition root passes that in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

__all__ = ["SignalingSettings", "Credentials"]


class SignalingSettings(Protocol):
    @property
    def public_url(self) -> str | None:
        """The public origin; socket.io accepts only that origin when set."""

    @property
    def rejoin_grace_seconds(self) -> float:
        """How long after ``peer.left`` a participant may come back before ``peer.gone``."""

    @property
    def socket_ping_interval_seconds(self) -> float:
        """How often the server pings a socket (engine.io heartbeat)."""

    @property
    def socket_ping_timeout_seconds(self) -> float:
        """How long after a ping without answer the socket counts as gone."""

    @property
    def socket_connect_timeout_seconds(self) -> float:
        """An engine.io connection that has not sent the socket.io CONNECT by then is closed."""

    @property
    def clock(self) -> Callable[[], datetime]:
        """The time (UTC), replaceable in tests."""


# From a connection's cookies: (login token, (participant id, secret)); either may be None.
Credentials = Callable[[Mapping[str, str]], tuple[str | None, tuple[str, str] | None]]
