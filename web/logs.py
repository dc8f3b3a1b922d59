"""Logging set-up: text lines, or JSON lines (``LOG_FORMAT=json``) with a request id.

Every request gets an id (a sent ``X-Request-Id`` of sane form, or a new one), kept in a
context variable that every log record of the request carries and echoed in the
response. Log messages never carry tokens, phone numbers or names (the access log is
redacted, ``web.access_log``); the JSON form adds no request fields beyond the id.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure", "json_formatter", "request_id_middleware", "REQUEST_ID"]

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):  # the access log brings its own
            record.request_id = REQUEST_ID.get()
        return True


def json_formatter() -> JsonFormatter:
    """The JSON line formatter (its fields are in the data inventory, ``recordings_policy.inventory``)."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """The root handler for ``videoberatung``: ``text`` or ``json``."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestId())
    if log_format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host that set up logging (a test run) keeps it
        root.addHandler(handler)
    root.setLevel(level)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sent = request.headers.get("X-Request-Id", "")
    request_id = sent if _SANE.match(sent) else secrets.token_hex(8)
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response
