"""The waiting room over socket.io: queue positions, the dashboard, admit and decline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import socketio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.attempts import EventKind
from rooms.errors import CallFull, IllegalTransition, SessionNotFound
from rooms.session import Admission, admission_transition
from rooms.third import ensure_room
from rooms.waiting_room import WaitingRoom
from signaling import payloads
from signaling.errors import Refusal
from signaling.peers import Peer
from storage import attempts, sessions, third

__all__ = ["Lobby"]


class Lobby:
    """Tells waiting recipients their place and the caseworker's dashboard who waits."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        db: async_sessionmaker[AsyncSession],
        waiting: WaitingRoom,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sio = sio
        self._db = db
        self._waiting = waiting
        self._clock = clock

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
        async with self._db() as db:
            open_sessions = await sessions.open_sessions_of(db, peer.account_id)
        snapshot = {s.id: await self.entries(s.id) for s in open_sessions}
        await self._sio.emit("lobby.snapshot", {"sessions": snapshot}, to=peer.sid, ignore_queue=True)

    async def admit(self, peer: Peer | None, data: Any) -> dict[str, Any]:
        """Admit; the ack names the role, so a dashboard opens the call only for the recipient
        (a third person joins a call the caseworker already holds)."""
        try:
            session_id, participant_id, caseworker_id, role = await self._decide(peer, data, Admission.ADMITTED)
        except CallFull:
            # The caseworker's ack says why; the person waiting is told too, and may wait on.
            await self._sio.emit("lobby.full", {}, room=f"p:{payloads.lobby_target(data).participant}")
            raise
        await self._sio.emit("lobby.admitted", {"session": session_id}, room=f"p:{participant_id}")
        await self.broadcast(session_id, caseworker_id)
        return {"role": role}

    async def decline(self, peer: Peer | None, data: Any) -> None:
        session_id, participant_id, caseworker_id, _role = await self._decide(peer, data, Admission.DECLINED)
        await self._sio.emit("lobby.declined", {}, room=f"p:{participant_id}")
        await self.broadcast(session_id, caseworker_id)

    async def _decide(self, peer: Peer | None, data: Any, target: Admission) -> tuple[str, str, int, str]:
        if peer is None or peer.role not in ("dashboard", "caseworker"):
            raise Refusal("forbidden", "Only the caseworker admits or declines.")
        wanted = payloads.lobby_target(data)
        async with self._db() as db:
            session = await sessions.get_session(db, wanted.session)
            participant = await sessions.get_participant(db, wanted.participant)
        if session.caseworker_id != peer.account_id:
            raise Refusal("forbidden", "Not your session.")
        if participant is None or participant.session_id != session.id:
            raise SessionNotFound(wanted.participant)
        session.ensure_joinable()
        # Raises IllegalTransition (wire code ``conflict``) for a decision already taken.
        admission_transition(participant.admission, target)
        async with self._db.begin() as db:
            # The decision itself is a compare-and-set in the database: of two sent at
            # once (two tabs, admit and decline), exactly one wins; the other is told
            # ``conflict`` and nothing is sent to the recipient on its behalf.
            if not await sessions.decide_admission(db, session.id, participant.id, target):
                raise IllegalTransition("admission", Admission.WAITING, target)
            if target is Admission.ADMITTED:
                # At most three in the call. Counted after the compare-and-set, with the
                # session row locked (PostgreSQL), so two admissions of different people
                # at once cannot both pass; a refused one rolls back.
                await sessions.get_session(db, session.id, for_update=True)
                ensure_room(await third.admitted_count(db, session.id) - 1)
                moment = self._clock()
                await attempts.record(db, session.id, participant.id, participant.role, EventKind.ADMITTED, moment)
        await self._waiting.leave(session.id, participant.id)
        return session.id, participant.id, session.caseworker_id, participant.role
