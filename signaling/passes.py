"""The connect's fast path: the grant from the page's signalling pass, when it holds.

The page a socket belongs to handed it a pass (``storage.grant_passes``); this decides
whether the connect may trust it: signed, unexpired, bound to this login or participant
cookie, minted for this session, and not revoked since (``storage.revocations``). When
it may not, the connect reads the database as before; a pass never refuses anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from signaling.config import PassCookies
from signaling.metrics import SignalingMetrics
from storage.grant_passes import Passes
from storage.grants import RecipientGrant, StaffGrant
from storage.revocations import Revocations
from storage.sessions import hash_secret
from storage.users import hash_token

__all__ = ["PassCheck"]


class PassCheck:
    def __init__(
        self,
        passes: Passes,
        revocations: Revocations,
        cookies: PassCookies,
        metrics: SignalingMetrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._passes = passes
        self._revocations = revocations
        self._cookies = cookies
        self._metrics = metrics
        self._clock = clock

    def staff(self, cookies: Mapping[str, str], token: str, session_id: str | None) -> StaffGrant | None:
        """The grant from a trusted pass minted for this login and this session, else None."""
        cookie, _ = self._cookies(cookies)
        if cookie is None:
            return None
        token_hash = hash_token(token)
        found = self._passes.read_staff(cookie, token_hash)
        trusted = (
            found is not None
            and found.session_id == session_id
            and found.grant.login_expires_at is not None
            and found.grant.login_expires_at > self._clock()  # the login's own expiry, as the query checks it
            and self._revocations.trusted(found.keys(token_hash), found.minted)
        )
        self._metrics.connect_grant("pass" if trusted else "database")
        return found.grant if trusted and found is not None else None

    def participant(self, cookies: Mapping[str, str], participant_id: str, secret: str) -> RecipientGrant | None:
        """The grant from a trusted pass minted for this participant cookie, else None."""
        _, cookie = self._cookies(cookies)
        if cookie is None:
            return None
        found = self._passes.read_recipient(cookie, participant_id, hash_secret(secret))
        trusted = found is not None and self._revocations.trusted(found.keys(), found.minted)
        self._metrics.connect_grant("pass" if trusted else "database")
        return found.grant if trusted and found is not None else None
