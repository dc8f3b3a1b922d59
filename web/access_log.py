"""An access logger that never writes invitation tokens (they sit in the /join/ path)."""

from __future__ import annotations

import re

from aiohttp.web import BaseRequest, StreamResponse
from aiohttp.web_log import AccessLogger

__all__ = ["RedactingAccessLogger", "redact"]

_SECRET_PATHS = re.compile(r"^(/join/|/j/|/password/|/feedback/t/|/booking/manage/|/f/)[^/?#]+")


def redact(path: str) -> str:
    return _SECRET_PATHS.sub(r"\1[redacted]", path.split("?", 1)[0])


class RedactingAccessLogger(AccessLogger):
    """Logs method, redacted path (no query string), status, size and time; no client IP."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(20):
            return
        self.logger.info(
            "%s %s %s %s %.1fms",
            request.method,
            redact(request.path),
            response.status,
            response.body_length,
            time * 1000,
            # The request's context has ended by now; its id went out with the response.
            extra={"request_id": response.headers.get("X-Request-Id", "-")},
        )
