"""The waiting room over socket.io: queue positions, the dashboard, admit and decline."""

from __future__ import annotations

from typing import Any

import socketio

from application.admission import Admissions
from rooms.errors import CallFull
from rooms.waiting_room import WaitingRoom
from signaling.payloads import LobbyTarget
from signaling.peers import Peer

__all__ = ["Lobby"]


class Lobby:
    """Tells waiting recipients their place and the caseworker's dashboard who waits."""

    def __init__(self, sio: socketio.AsyncServer, admissions: Admissions, waiting: WaitingRoom) -> None:
        self._sio = sio
        self._admissions = admissions
        self._waiting = waiting

    async def entries(self, session_id: str) -> list[dict[str, Any]]:
        waiting = await self._waiting.entries(session_id)
        return [
            {
                "participant": e.participant_id,
                "since": e.arrived_at.isoformat(),
                "position": i,
                "consent": True,  # nobody enters the waiting room without consent
            }
            for i, e in enumerate(waiting, start=1)
        ]

    async def broadcast(self, session_id: str | None, caseworker_id: int | None) -> None:
        """Send every waiting recipient its position, and the dashboard the queue."""
        if session_id is None:
            return
        waiting = await self.entries(session_id)
        for entry in waiting:
            await self._sio.emit(
                "lobby.position",
                {"position": entry["position"], "waiting": len(waiting)},
                room=f"p:{entry['participant']}",
            )
        if caseworker_id is not None:
            await self._sio.emit(
                "lobby.update", {"session": session_id, "waiting": waiting}, room=f"dash:{caseworker_id}"
            )

    async def snapshot(self, peer: Peer) -> None:
        """Everybody waiting in the caseworker's open sessions, for a dashboard that connected."""
        assert peer.account_id is not None
        open_sessions = await self._admissions.open_sessions(peer.account_id)
        snapshot = {session_id: await self.entries(session_id) for session_id in open_sessions}
        await self._sio.emit("lobby.snapshot", {"sessions": snapshot}, to=peer.sid, ignore_queue=True)

    async def admit(self, account_id: int, wanted: LobbyTarget) -> dict[str, Any]:
        """Admit; the ack names the role, so a dashboard opens the call only for the recipient
        (a third person joins a call the caseworker already holds)."""
        try:
            decided = await self._admissions.admit(account_id, wanted.session, wanted.participant)
        except CallFull:
            # The caseworker's ack says why; the person waiting is told too, and may wait on.
            await self._sio.emit("lobby.full", {}, room=f"p:{wanted.participant}")
            raise
        await self._sio.emit("lobby.admitted", {"session": decided.session_id}, room=f"p:{decided.participant_id}")
        await self.broadcast(decided.session_id, decided.caseworker_id)
        return {"role": decided.role}

    async def decline(self, account_id: int, wanted: LobbyTarget) -> None:
        decided = await self._admissions.decline(account_id, wanted.session, wanted.participant)
        await self._sio.emit("lobby.declined", {}, room=f"p:{decided.participant_id}")
        await self.broadcast(decided.session_id, decided.caseworker_id)
