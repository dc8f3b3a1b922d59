"""Short invitation codes: a link that fits one SMS, with every property of the JWT link.

A code is 20 base32 characters (100 bits) derived by HMAC-SHA256 from the server's
secret and (session id, jti): unguessable, the same every time the caseworker's page
shows it, and a new one when the link is withdrawn (the jti rotates). The database
holds only its SHA-256 with the session, the jti it was made for, and its validity
window; a lookup accepts it only while that jti is still the session's and the window
is open. Opening it is exchanged at once for the participant cookie, like the JWT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["CODE_LENGTH", "InvitationCodes", "looks_like_code", "code_hash", "gsm7_length"]

CODE_LENGTH = 20
_CODE = re.compile(rf"^[a-z2-7]{{{CODE_LENGTH}}}$")


def looks_like_code(text: str) -> bool:
    return bool(_CODE.match(text))


def code_hash(code: str) -> str:
    return hashlib.sha256(b"vb-invitation-code:" + code.encode()).hexdigest()


class InvitationCodes:
    """Makes the code of (session, jti) from a secret derived from the signing key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        # Its own purpose: the code secret never equals the signing key itself.
        self._secret = hashlib.sha256(b"vb-invitation-code-secret:" + raw).digest()

    def code_for(self, session_id: str, jti: str) -> str:
        mac = hmac.new(self._secret, f"{session_id}:{jti}".encode(), hashlib.sha256).digest()
        return base64.b32encode(mac).decode("ascii").lower()[:CODE_LENGTH]


# The GSM 03.38 basic character set (one septet each) and its extension (two septets each).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` needs in GSM-7, or None when it needs UCS-2 (70 characters per SMS)."""
    length = 0
    for char in text:
        if char in _GSM7_BASIC:
            length += 1
        elif char in _GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length
