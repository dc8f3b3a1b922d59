"""Invitation links: short-lived JWTs, signed with one pinned algorithm (EdDSA).

The token only carries the session id; it is exchanged at once for a participant
cookie, so it never needs to live long or appear in a URL the recipient keeps.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from jwt.types import Options

from rooms.errors import InvitationExpired, InvitationInvalid, InvitationNotYetValid

__all__ = ["Invitation", "InvitationSigner", "load_or_create_key", "invitation_window"]

ALGORITHM = "EdDSA"
TOKEN_TYPE = "vb-invitation"
_FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
_MAX_TOKEN_LENGTH = 2048

# A link for a scheduled session opens shortly before and closes some hours after;
# an unscheduled one ("now") stays valid for one working day.
EARLY_OPEN = timedelta(minutes=30)
LATE_CLOSE = timedelta(hours=3)
UNSCHEDULED_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Invitation:
    session_id: str
    jti: str


def invitation_window(now: datetime, scheduled_at: datetime | None) -> tuple[datetime, datetime]:
    """The (nbf, exp) interval for a link: bounded, and around the scheduled time."""
    if scheduled_at is None:
        return now, now + UNSCHEDULED_LIFETIME
    return scheduled_at - EARLY_OPEN, scheduled_at + LATE_CLOSE


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Read the signing key from the instance folder, creating it (mode 0600) on first run.

    Several nodes may start together on a fresh folder: each writes a complete key to a
    file of its own and links it into place, which succeeds for exactly one of them; the
    others read the winner's key. Nobody ever reads a half-written file.
    """
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(draft, path)
                return key
            except FileExistsError:
                pass  # another node was first: use its key
        finally:
            draft.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return loaded


def _key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class InvitationSigner:
    """Issues and verifies invitation tokens for one issuer and audience."""

    def __init__(self, key: Ed25519PrivateKey, *, issuer: str, audience: str) -> None:
        self._key = key
        self._public = key.public_key()
        self._kid = _key_id(self._public)
        self.issuer = issuer
        self.audience = audience

    @staticmethod
    def new_jti() -> str:
        return str(uuid.uuid4())

    def issue(self, session_id: str, jti: str, not_before: datetime, expires: datetime) -> str:
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "typ": TOKEN_TYPE,
            "sub": session_id,
            "jti": jti,
            "nbf": int(not_before.timestamp()),
            "exp": int(expires.timestamp()),
            "iat": int(not_before.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})

    def _decode(self, token: str, options: Options) -> dict[str, Any]:
        """The claims of ``token``, signed with our key for our audience and issuer; ``jwt.PyJWTError`` otherwise."""
        return jwt.decode(
            token,
            self._public,
            algorithms=[ALGORITHM],
            audience=self.audience,
            issuer=self.issuer,
            options={**options, "strict_aud": True},
        )

    def _subject_of_genuine(self, token: str) -> str | None:
        """The session of a token whose signature and claims hold, only its time does not."""
        try:
            claims = self._decode(token, {"verify_nbf": False, "verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) and claims.get("typ") == TOKEN_TYPE else None

    def verify(self, token: str) -> Invitation:
        """Check signature, algorithm, key id, every required claim; raise InvitationError."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise InvitationInvalid("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvitationInvalid("malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise InvitationInvalid("algorithm")
        if header.get("kid") != self._kid:
            raise InvitationInvalid("unknown key")
        if _FORBIDDEN_HEADERS & header.keys():
            raise InvitationInvalid("forbidden header")
        try:
            claims = self._decode(token, {"require": ["iss", "aud", "typ", "exp", "nbf", "jti", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise InvitationExpired("expired", session_id=self._subject_of_genuine(token)) from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvitationNotYetValid("not yet valid", session_id=self._subject_of_genuine(token)) from exc
        except jwt.PyJWTError as exc:
            raise InvitationInvalid(type(exc).__name__) from exc
        # Exact comparisons: never rely on a library's looser matching alone.
        if claims["iss"] != self.issuer or claims["aud"] != self.audience:
            raise InvitationInvalid("issuer or audience")
        if claims["typ"] != TOKEN_TYPE:
            raise InvitationInvalid("type")
        sub, jti = claims["sub"], claims["jti"]
        if not isinstance(sub, str) or not isinstance(jti, str):
            raise InvitationInvalid("claims")
        try:
            uuid.UUID(sub)
            uuid.UUID(jti)
        except ValueError as exc:
            raise InvitationInvalid("claims") from exc
        return Invitation(session_id=sub, jti=jti)
