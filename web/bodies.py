"""Reading request bodies: anything malformed becomes one ``MalformedBody``.

aiohttp parses lazily and raises whatever its parser meets: ``ValueError`` for a garbage
multipart body, ``UnicodeDecodeError`` for invalid UTF-8, ``LookupError`` for an unknown
charset, ``RecursionError`` for deeply nested JSON. Left alone, each was a 500 with a
traceback. Here they become ``MalformedBody``, which ``web/errors.py`` answers with 400
(a page or JSON) and one warning line.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web
from multidict import MultiDictProxy

__all__ = ["MAX_JSON_DEPTH", "MalformedBody", "read_form", "read_json", "ensure_text"]

MAX_JSON_DEPTH = 16


class MalformedBody(Exception):
    """The request body could not be read; ``reason`` names why (no content, for the log)."""

    code: ClassVar[str] = "bad_request"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_PARSE_ERRORS = (ValueError, LookupError, RecursionError, AssertionError)


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The form fields (cached by aiohttp, so views reading it again get the same)."""
    try:
        return await request.post()
    except _PARSE_ERRORS as exc:
        raise MalformedBody(f"form body: {type(exc).__name__}") from exc


async def read_json(request: web.Request) -> Any:
    """The JSON body, at most ``MAX_JSON_DEPTH`` deep, with valid Unicode strings only."""
    try:
        body = await request.json()
    except _PARSE_ERRORS as exc:
        raise MalformedBody(f"JSON body: {type(exc).__name__}") from exc
    _check(body)
    return body


def ensure_text(value: str) -> str:
    """``value`` if it is valid Unicode (no lone surrogates such as ``"\\ud800"``)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedBody("lone surrogate in a string") from exc
    return value


def _check(body: Any) -> None:
    # Iterative, so the check itself cannot recurse too deep.
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            ensure_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise MalformedBody("JSON nested too deep")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
