"""Signed passes: a grant read at page load, carried in a cookie, so a socket connect
needs no database.

A pass is a cache of the facts ``storage.grants`` reads (who, which session, admitted,
consented, the session's state), signed with HMAC-SHA256 (a JWT with one pinned
algorithm) and bound to the credential cookie it was minted for: the login token or the
participant secret, by a prefix of its hash. The database stays the truth. A pass that
is expired, unbound, badly signed or older than a change to any fact behind it
(``storage.revocations``) is not refused: the connect only falls back to the database.

A pass carries when it was minted, taken *before* the database read, so a change
committed while the read ran is never missed: its revocation is stamped later.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from rooms.session import Admission, SessionState
from storage.grants import RecipientGrant, StaffGrant

__all__ = ["PASS_LIFETIME_SECONDS", "Passes", "RecipientPass", "StaffPass", "pass_key"]

ALGORITHM = "HS256"
# Long enough for a page's socket to connect and reconnect after a short drop; a pass
# that has expired only sends the connect to the database.
PASS_LIFETIME_SECONDS = 600
_BINDING_CHARS = 22  # 88 bits of the credential's hash
_MAX_LENGTH = 1024


def pass_key(signing_key: Ed25519PrivateKey) -> bytes:
    """The passes' HMAC key, derived from the instance's signing key (every node shares it)."""
    raw = signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return hashlib.sha256(b"videoberatung grant pass v1\0" + raw).digest()


def _binding(hashed_credential: str) -> str:
    return hashed_credential[:_BINDING_CHARS]


@dataclass(frozen=True, slots=True)
class StaffPass:
    grant: StaffGrant
    session_id: str | None  # the session the grant was read for; None: the dashboard
    minted: float  # time.time() before the database read

    def keys(self, token_hash: str) -> tuple[str, ...]:
        found = (f"a:{self.grant.account_id}", f"t:{_binding(token_hash)}")
        return (*found, f"s:{self.session_id}") if self.session_id else found


@dataclass(frozen=True, slots=True)
class RecipientPass:
    grant: RecipientGrant
    minted: float

    def keys(self) -> tuple[str, ...]:
        return (f"p:{self.grant.participant_id}", f"s:{self.grant.session_id}")


class Passes:
    """Mints and reads passes with one key; reading checks signature, expiry and binding only."""

    def __init__(self, key: bytes, *, lifetime: float = PASS_LIFETIME_SECONDS, clock: Callable[[], float] = time.time):
        self._key = key
        self._lifetime = lifetime
        self._clock = clock

    @property
    def lifetime(self) -> float:
        return self._lifetime

    def now(self) -> float:
        """The stamp for a pass about to be minted: take it before reading the grant."""
        return self._clock()

    def _encode(self, claims: dict[str, Any], minted: float, expires: float) -> str:
        return jwt.encode({**claims, "t": minted, "exp": int(expires)}, self._key, algorithm=ALGORITHM)

    def _decode(self, token: str | None, kind: str) -> dict[str, Any] | None:
        if not token or len(token) > _MAX_LENGTH:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], options={"require": ["exp", "t", "k"]}
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("k") == kind else None

    # ---------------------------------------------------------------- staff

    def mint_staff(self, grant: StaffGrant, session_id: str | None, token_hash: str, minted: float) -> str:
        # The login's expiry is checked at connect against the app's clock, like the query does.
        assert grant.login_expires_at is not None
        login_expires = grant.login_expires_at.timestamp()
        claims = {
            "k": "s",
            "a": grant.account_id,
            "r": grant.role,
            "sid": session_id,
            "st": grant.session_state.value if grant.session_state else None,
            "cp": grant.participant_id,
            "b": _binding(token_hash),
            "le": login_expires,
        }
        return self._encode(claims, minted, minted + self._lifetime)

    def read_staff(self, token: str | None, token_hash: str) -> StaffPass | None:
        claims = self._decode(token, "s")
        if claims is None or claims.get("b") != _binding(token_hash):
            return None
        try:
            state = SessionState(claims["st"]) if claims["st"] is not None else None
            login_expires = datetime.fromtimestamp(float(claims["le"]), UTC)
            grant = StaffGrant(int(claims["a"]), str(claims["r"]), state, claims["cp"], login_expires)
            return StaffPass(grant, claims["sid"], float(claims["t"]))
        except (KeyError, TypeError, ValueError):
            return None

    # ---------------------------------------------------------------- participants

    def mint_recipient(self, grant: RecipientGrant, secret_hash: str, minted: float) -> str:
        claims = {
            "k": "p",
            "pid": grant.participant_id,
            "sid": grant.session_id,
            "cw": grant.caseworker_id,
            "adm": grant.admission.value,
            "st": grant.session_state.value,
            "c": grant.consented,
            "r": grant.role,
            "b": _binding(secret_hash),
        }
        return self._encode(claims, minted, minted + self._lifetime)

    def read_recipient(self, token: str | None, participant_id: str, secret_hash: str) -> RecipientPass | None:
        claims = self._decode(token, "p")
        if claims is None or claims.get("pid") != participant_id or claims.get("b") != _binding(secret_hash):
            return None
        try:
            grant = RecipientGrant(
                participant_id,
                str(claims["sid"]),
                int(claims["cw"]),
                Admission(claims["adm"]),
                SessionState(claims["st"]),
                bool(claims["c"]),
                str(claims["r"]),
            )
            return RecipientPass(grant, float(claims["t"]))
        except (KeyError, TypeError, ValueError):
            return None
