"""Signed cancel/reschedule links: ``<booking id>.<expiry>.<Ed25519 signature>``.

The instance's invitation key signs them too; the message carries its own prefix, so a
signature made for one purpose never verifies for the other. Ed25519 is deterministic:
the same booking always gets the same link, so a page can show it again.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking.errors import LinkExpired, LinkInvalid

__all__ = ["ManageLinks"]

_PURPOSE = b"vb-booking-manage:"
_MAX_LENGTH = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ManageLinks:
    """Issues and verifies the token of ``/booking/manage/<token>``."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._public = key.public_key()

    def issue(self, booking_id: str, expires: datetime) -> str:
        body = f"{booking_id}.{int(expires.timestamp())}"
        return f"{body}.{_b64(self._key.sign(_PURPOSE + body.encode()))}"

    def verify(self, token: str, now: datetime, grace: timedelta = timedelta(0)) -> str:
        """The booking id; raises ``LinkInvalid`` or ``LinkExpired`` (``grace`` after the
        expiry: for showing the feedback link after the appointment, nothing else)."""
        if len(token) > _MAX_LENGTH or token.count(".") != 2:
            raise LinkInvalid()
        booking_id, expiry, signature = token.split(".")
        try:
            uuid.UUID(booking_id)
            expires = datetime.fromtimestamp(int(expiry), UTC)
            self._public.verify(_unb64(signature), _PURPOSE + f"{booking_id}.{expiry}".encode())
        except (ValueError, OverflowError, binascii.Error, InvalidSignature):
            raise LinkInvalid() from None
        if now >= expires + grace:
            raise LinkExpired()
        return booking_id
