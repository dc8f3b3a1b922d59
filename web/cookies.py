"""Cookie names and the participant cookie's format, shared by the HTTP and socket edges."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

__all__ = [
    "LOGIN_COOKIE",
    "PARTICIPANT_COOKIE",
    "CSRF_COOKIE",
    "SOCKET_PATH",
    "LANG_COOKIE",
    "participant_cookie",
    "split_participant_cookie",
    "socket_credentials",
]

LOGIN_COOKIE = "vb_login"
PARTICIPANT_COOKIE = "vb_participant"
CSRF_COOKIE = "vb_csrf"
LANG_COOKIE = "vb_lang"
SOCKET_PATH = "/socket.io/"


def participant_cookie(participant_id: str, secret: str) -> str:
    return f"{participant_id}.{secret}"


def split_participant_cookie(value: str) -> tuple[str, str] | None:
    """(participant id, secret), or None when the value is not well formed."""
    pid, _, secret = value.partition(".")
    if not secret or len(value) > 200:
        return None
    try:
        uuid.UUID(pid)
    except ValueError:
        return None
    return pid, secret


def socket_credentials(cookies: Mapping[str, str]) -> tuple[str | None, tuple[str, str] | None]:
    """What a socket.io connection authenticates with: (login token, participant cookie).

    Handed to the signalling edge by the composition root, so it never reads cookie names.
    """
    return cookies.get(LOGIN_COOKIE) or None, split_participant_cookie(cookies.get(PARTICIPANT_COOKIE, ""))
