"""How the HTTP server runs: the options that bound what one client connection may hold."""

from __future__ import annotations

from typing import Any

from web.access_log import RedactingAccessLogger

__all__ = ["server_options"]


def server_options(header_timeout_seconds: float) -> dict[str, Any]:
    """Keyword arguments for ``web.run_app`` / ``AppRunner`` (``videoberatung serve`` and tests).

    aiohttp closes a connection that has not completed a request within its keep-alive
    timeout, counted from the moment it opened: this bounds a client that drips its request
    headers a byte at a time (aiohttp's default for ``run_app`` held them 75 s). It is also
    how long an idle keep-alive connection stays open between requests
    (``Settings.header_timeout_seconds``, 15 s).
    """
    return {"access_log_class": RedactingAccessLogger, "keepalive_timeout": header_timeout_seconds}
