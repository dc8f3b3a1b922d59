"""Time-limited TURN credentials (the "TURN REST API" scheme coturn checks with use-auth-secret).

username = "<expiry as unix time>:<pseudonymous id>"
password = base64(HMAC-SHA1(secret, username))

coturn recomputes the password from the username with each of its static-auth-secret
lines and refuses the allocation when none matches or the expiry has passed. During a
rotation the server issues with the first (new) secret while coturn still accepts the
old one, so credentials already handed out keep working until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["TurnCredentials", "TurnIssuer", "MAX_TTL", "DEFAULT_TTL", "parse_list"]

DEFAULT_TTL = timedelta(hours=1)
# No credential outlives a long appointment: a leaked one is useless by the next day.
MAX_TTL = timedelta(hours=12)

# The pseudonymous id goes into coturn's logs: no names, no colons (the field separator).
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def parse_list(value: str) -> tuple[str, ...]:
    """A comma-separated setting as a tuple of its non-empty, stripped items."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class TurnCredentials:
    """One set of credentials, shaped as a browser's ``RTCIceServer``."""

    urls: tuple[str, ...]
    username: str
    credential: str
    expires_at: datetime

    def ice_server(self) -> dict[str, object]:
        return {"urls": list(self.urls), "username": self.username, "credential": self.credential}


def password_for(secret: str, username: str) -> str:
    """The password coturn expects for ``username`` under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class TurnIssuer:
    """Issues credentials with the current secret; knows every secret still accepted."""

    def __init__(self, urls: tuple[str, ...], secrets: tuple[str, ...], ttl: timedelta = DEFAULT_TTL) -> None:
        if not urls or not secrets:
            raise ValueError("TURN needs at least one URL and one secret")
        if len(secrets) > 2:
            raise ValueError("at most two TURN secrets (current and previous) are accepted")
        if any(not url.startswith(("turn:", "turns:")) for url in urls):
            raise ValueError("TURN URLs start with turn: or turns:")
        if ttl <= timedelta(0):
            raise ValueError("the TURN credential lifetime must be positive")
        self.urls = urls
        self._secrets = secrets
        self.ttl = min(ttl, MAX_TTL)

    def issue(self, pseudonym: str, now: datetime) -> TurnCredentials:
        """Credentials for ``pseudonym`` (a participant id or a random check id) until now + TTL."""
        if not _SAFE_ID.match(pseudonym):
            raise ValueError("the TURN pseudonym must be 1–64 characters of [A-Za-z0-9_.-]")
        expires_at = now + self.ttl
        username = f"{int(expires_at.timestamp())}:{pseudonym}"
        return TurnCredentials(self.urls, username, password_for(self._secrets[0], username), expires_at)

    def accepts(self, username: str, password: str, now: datetime) -> bool:
        """What coturn decides: not expired, and the password matches one of the secrets."""
        expiry, sep, _pseudonym = username.partition(":")
        if not sep or not expiry.isdigit() or int(expiry) <= now.timestamp():
            return False
        return any(hmac.compare_digest(password_for(secret, username), password) for secret in self._secrets)
