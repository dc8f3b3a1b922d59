"""The three-way call over socket.io: addressed relay rooms, asking the recipient, removal.

Each call socket is in ``call:<session>`` (everybody in the call) and
``call:<session>:<participant>`` (that participant's own pages), so a relayed message
with ``to`` reaches the one addressed peer and nobody else; the session is part of the
room name, so nobody can address a participant of another session.
"""

from __future__ import annotations

import socketio

from signaling.peers import Peer, PeerIndex

__all__ = ["Mesh", "call_room", "peer_room"]


def call_room(session_id: str) -> str:
    return f"call:{session_id}"


def peer_room(session_id: str, participant_id: str) -> str:
    return f"call:{session_id}:{participant_id}"


class Mesh:
    """What the HTTP edge tells the pages of a call about its third person."""

    def __init__(self, sio: socketio.AsyncServer, peers: PeerIndex) -> None:
        self._sio = sio
        self._peers = peers

    async def enter(self, peer: Peer) -> None:
        """A socket joined its call: also into its own addressed room."""
        assert peer.session_id is not None and peer.participant_id is not None
        await self._sio.enter_room(peer.sid, peer_room(peer.session_id, peer.participant_id))

    async def asked(self, session_id: str, role: str) -> None:
        """The caseworker wants a third person: every page of the session hears it; the
        recipient's call page asks the recipient."""
        await self._sio.emit("third.asked", {"role": role}, room=f"s:{session_id}")

    async def answered(self, session_id: str, agreed: bool) -> None:
        await self._sio.emit("third.answered", {"agreed": agreed}, room=f"s:{session_id}")

    async def remove(self, session_id: str, participant_id: str) -> None:
        """The caseworker removed the third person: everyone in the call hears it, and the
        person's sockets here leave the call (elsewhere their page leaves by itself, and a
        reconnect is refused: the person's admission is now declined)."""
        await self._sio.emit("peer.removed", {"participant": participant_id}, room=call_room(session_id))
        for peer in self._peers.sockets_of(participant_id):
            await self._sio.leave_room(peer.sid, call_room(session_id))
            await self._sio.leave_room(peer.sid, peer_room(session_id, participant_id))
            await self._sio.disconnect(peer.sid)
