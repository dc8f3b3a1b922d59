"""What a use case tells the live edges (the signalling server implements it)."""

from __future__ import annotations

from typing import Protocol

from rooms.session import Outcome

__all__ = ["Notifier", "NoNotifier"]


class Notifier(Protocol):
    """Events a use case announces to connected pages; the signalling server implements this."""

    async def session_ended(self, session_id: str, outcome: Outcome) -> None:
        """Every page of the session learns it has ended (``session.ended``)."""

    async def participant_moved(self, session_id: str, participant_id: str, caseworker_id: int) -> None:
        """The participant continues on another device: its old sockets are closed."""

    async def third_asked(self, session_id: str, role: str) -> None:
        """The recipient is asked to agree to a third person."""

    async def third_answered(self, session_id: str, agreed: bool) -> None:
        """The caseworker learns the recipient's answer about the third person."""

    async def third_removed(self, session_id: str, participant_id: str) -> None:
        """The third person is removed from the call."""

    async def peer_unsupported(self, session_id: str, participant_id: str, reason: str) -> None:
        """A participant's browser cannot make video calls (``peer.unsupported``; ``reason``
        from ``rooms.attempts.BROWSER_CLASSES``): the caseworker's call page says so."""


class NoNotifier:
    """A notifier for command lines and tests without a live edge: tells nobody."""

    async def session_ended(self, session_id: str, outcome: Outcome) -> None:
        return None

    async def participant_moved(self, session_id: str, participant_id: str, caseworker_id: int) -> None:
        return None

    async def third_asked(self, session_id: str, role: str) -> None:
        return None

    async def third_answered(self, session_id: str, agreed: bool) -> None:
        return None

    async def third_removed(self, session_id: str, participant_id: str) -> None:
        return None

    async def peer_unsupported(self, session_id: str, participant_id: str, reason: str) -> None:
        return None
