"""The socket.io server: relays signalling, and tells live pages what use cases did.

Handlers only translate: payloads are validated in ``payloads``, use cases run in
``application.admission``, refusals are mapped to acks in ``errors``. Who may connect,
and what a disconnect leaves behind, is ``connections``. The server implements
``application.notifier.Notifier`` for the HTTP edge's use cases.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from application.admission import Admissions
from recordings_policy import Category, RetentionPolicy
from rooms.errors import NotAdmitted
from rooms.session import Outcome
from rooms.waiting_room import WaitingRoom
from signaling import payloads
from signaling.config import Credentials, SignalingSettings
from signaling.connections import Connections
from signaling.delivery import InlineManager
from signaling.errors import Refusal, error_reply
from signaling.events import GuardedNamespace, Traffic, count_inbound
from signaling.lobby import Lobby
from signaling.mesh import Mesh, peer_room
from signaling.metrics import NoMetrics, SignalingMetrics
from signaling.peers import Peer, PeerIndex
from signaling.presence import SOCKETS_PER_PARTICIPANT, LocalPresence, Presence
from signaling.transport import Transports

__all__ = ["SignalingServer"]

logger = logging.getLogger(__name__)

Handler = Callable[[str, Any], Awaitable[dict[str, Any] | None]]


class SignalingServer:
    """Owns the socket.io server, the per-node peer index and the grace-period timers."""

    def __init__(
        self,
        settings: SignalingSettings,
        policy: RetentionPolicy,
        client_manager: socketio.AsyncManager | None = None,
        *,
        credentials: Credentials,
        metrics: SignalingMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics: SignalingMetrics = metrics or NoMetrics()
        # Session id -> when its first offer was relayed through this node, until the answer.
        self._offered: dict[str, float] = {}
        self._policy = policy
        self.admissions: Admissions
        self.waiting: WaitingRoom
        self.lobby: Lobby
        self.peers = PeerIndex()
        self.presence: Presence = LocalPresence(self.peers)
        self.sockets_per_participant = SOCKETS_PER_PARTICIPANT
        self._closed = False
        origins: str | list[str] | None = None
        if settings.public_url:
            parts = urlsplit(settings.public_url)
            origins = [f"{parts.scheme}://{parts.netloc}"]
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            transports=["websocket"],
            cors_allowed_origins=origins,
            client_manager=client_manager or InlineManager(),  # one node: rooms in memory
            max_http_buffer_size=256 * 1024,
            ping_interval=settings.socket_ping_interval_seconds,
            ping_timeout=settings.socket_ping_timeout_seconds,
            logger=False,
            engineio_logger=False,
        )
        self.traffic = Traffic()
        self.transports = Transports(self.sio.handle_request, settings.socket_connect_timeout_seconds)
        self.mesh = Mesh(self.sio, self.peers)
        self.connections = Connections(self, credentials)
        events: dict[str, Callable[..., Awaitable[Any]]] = {
            "offer": self._on_offer,
            "answer": self._on_answer,
            "candidate": self._on_candidate,
            "hangup": self._on_hangup,
            "lobby.admit": self._on_admit,
            "lobby.decline": self._on_decline,
            "consent.withdraw": self._on_withdraw,
            "record.start": self._on_record_start,
        }
        # Only these names are dispatched; reserved and unknown ones are refused before
        # any handler runs, and every socket is rate-limited per event kind (events.py).
        self.namespace = GuardedNamespace(
            {
                "connect": self.connections.on_connect,
                "disconnect": self.connections.on_disconnect,
                **{name: self._acked(handler) for name, handler in events.items()},
            },
            on_refused=self.metrics.refused,
            owner=self._owner,
        )
        self.sio.register_namespace(self.namespace)
        count_inbound(self.sio.eio, self.traffic, self.namespace)

    def attach(self, app: web.Application) -> None:
        self.transports.attach(app)

    def bind(
        self,
        db: async_sessionmaker[AsyncSession],
        waiting_room: WaitingRoom,
        presence: Presence | None = None,
    ) -> None:
        """Hand over the resources opened at start-up (routes must exist before that).

        Without ``presence`` the call membership is this node's own index (one node).
        """
        self.admissions = Admissions(db, waiting_room, self.settings.clock)
        self.waiting = waiting_room
        self.lobby = Lobby(self.sio, self.admissions, waiting_room)
        if presence is not None:
            self.presence = presence

    async def close(self) -> None:
        """Cancel grace timers and end every websocket; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self.connections.close()
        # Close every websocket so clients reconnect (to another node, when there is one)
        # instead of the server waiting for each to time out.
        self.transports.close()
        await self.sio.shutdown()

    # ---------------------------------------------------------------- plumbing

    def _acked(self, handler: Handler) -> Callable[[str, Any], Awaitable[dict[str, Any]]]:
        @functools.wraps(handler)
        async def wrapper(sid: str, data: Any = None) -> dict[str, Any]:
            try:
                result = await handler(sid, data)
            except Exception as exc:
                reply = error_reply(exc)
                if reply is None:
                    logger.exception("signalling handler %s failed", handler.__name__)
                    self.metrics.refused("internal")
                    return {"ok": False, "error": {"code": "internal", "message": "Server error."}}
                self.metrics.refused(str(reply["error"]["code"]))
                if isinstance(exc, Refusal) and exc.code == "bad_payload":
                    logger.warning("refused %s: bad payload (%s)", handler.__name__, exc.message)
                return reply
            return {"ok": True, **(result or {})}

        return wrapper

    def _owner(self, sid: str) -> str:
        """Whose event budget a socket draws from: its participant's, across their sockets."""
        peer = self.peers.by_sid.get(sid)
        if peer is not None and peer.participant_id is not None:
            return f"p:{peer.participant_id}"
        if peer is not None and peer.account_id is not None:
            return f"a:{peer.account_id}"
        return sid

    def now(self) -> Any:
        return self.settings.clock()

    # ---------------------------------------------------------------- waiting room

    def _caseworker(self, sid: str) -> int:
        peer = self.peers.by_sid.get(sid)
        if peer is None or peer.role not in ("dashboard", "caseworker") or peer.account_id is None:
            raise Refusal("forbidden", "Only the caseworker admits or declines.")
        return peer.account_id

    async def _on_admit(self, sid: str, data: Any) -> dict[str, Any]:
        account_id = self._caseworker(sid)
        wanted = payloads.lobby_target(data)
        arrived = {e.participant_id: e.arrived_at for e in await self.waiting.entries(wanted.session)}
        result = await self.lobby.admit(account_id, wanted)
        if wanted.participant in arrived:
            self.metrics.admitted(max(0.0, (self.now() - arrived[wanted.participant]).total_seconds()))
        return result

    async def _on_decline(self, sid: str, data: Any) -> None:
        account_id = self._caseworker(sid)
        await self.lobby.decline(account_id, payloads.lobby_target(data))

    # ---------------------------------------------------------------- call

    def _call_member(self, sid: str) -> Peer:
        peer = self.peers.by_sid.get(sid)
        if peer is None or not peer.in_call:
            raise NotAdmitted(sid)
        return peer

    async def _relay(self, sid: str, event: str, body: dict[str, Any], to: str | None = None) -> None:
        peer = self._call_member(sid)
        assert peer.session_id is not None
        # The consent gate, from memory only: the relay path does no database I/O.
        if not peer.consented:
            raise Refusal("consent_required", "Consent is required first.")
        if self.peers.unconsented_in_call(peer.session_id, exclude=peer.participant_id):
            raise Refusal("consent_required", "The other participant has withdrawn consent.")
        body["from"] = peer.participant_id
        # With "to", only the addressed participant's pages (in this session's call) get it.
        room = peer_room(peer.session_id, to) if to else f"call:{peer.session_id}"
        await self.sio.emit(event, body, room=room, skip_sid=sid)
        self.metrics.relayed(event)
        self._time_set_up(peer.session_id, event)

    def _time_set_up(self, session_id: str, event: str) -> None:
        """Set-up time: an offer to the next answer in the call (set-up or renegotiation), both through this node."""
        if event == "offer":
            if len(self._offered) > 10_000:  # offers nobody answered: forget, bound memory
                self._offered.clear()
            self._offered.setdefault(session_id, time.monotonic())
        elif event == "answer" and session_id in self._offered:
            self.metrics.call_set_up(time.monotonic() - self._offered.pop(session_id))
        elif event == "hangup":
            self._offered.pop(session_id, None)

    async def _on_offer(self, sid: str, data: Any) -> None:
        await self._relay(sid, "offer", {"sdp": payloads.description(data).sdp}, payloads.addressee(data))

    async def _on_answer(self, sid: str, data: Any) -> None:
        await self._relay(sid, "answer", {"sdp": payloads.description(data).sdp}, payloads.addressee(data))

    async def _on_candidate(self, sid: str, data: Any) -> None:
        await self._relay(sid, "candidate", payloads.candidate(data).wire(), payloads.addressee(data))

    async def _on_hangup(self, sid: str, data: Any) -> None:
        payloads.empty(data)
        await self._relay(sid, "hangup", {}, payloads.addressee(data))

    # ---------------------------------------------------------------- consent

    async def _on_withdraw(self, sid: str, data: Any) -> None:
        payloads.empty(data)
        peer = self.peers.by_sid.get(sid)
        if peer is None or peer.role in ("caseworker", "dashboard"):
            raise Refusal("forbidden", "Only a recipient or a third person withdraws consent here.")
        assert peer.session_id is not None and peer.participant_id is not None
        session_id, participant_id = peer.session_id, peer.participant_id
        # Memory first, so no signalling slips through while the database commits.
        withdrawn = self.peers.withdraw(participant_id)
        # Its call sockets on other nodes: marked in Redis, then disconnected through the
        # manager; they are refused on reconnect (no current consent record).
        remote = [s for s in await self.presence.withdraw(session_id, participant_id) if s not in self.peers.by_sid]
        await self.admissions.withdraw_consent(participant_id)
        await self.sio.emit(
            "consent.withdrawn",
            {"participant": participant_id},
            room=[f"call:{session_id}", f"p:{participant_id}"],
        )
        for gone in withdrawn:
            # Out of the call room: nothing more is delivered to this page, whatever happens.
            await self.sio.leave_room(gone.sid, f"call:{session_id}")
            await self.sio.leave_room(gone.sid, peer_room(session_id, participant_id))
        for other in remote:
            await self.sio.leave_room(other, f"call:{session_id}")
            await self.sio.disconnect(other)
        if await self.waiting.leave(session_id, participant_id):
            await self.lobby.broadcast(session_id, peer.caseworker_id)

    async def _on_record_start(self, sid: str, data: Any) -> None:
        # Refused for everyone, whatever the payload: the policy never stores media.
        self._policy.ensure_storable(Category.AUDIO_VIDEO_RECORDING)

    # ---------------------------------------------------------------- the Notifier

    async def participant_moved(self, session_id: str, participant_id: str, caseworker_id: int) -> None:
        """The invitation link moved to another device: tell the old pages, drop their
        sockets (their cookie no longer opens the session), and tell the dashboard."""
        await self.sio.emit("participant.moved", {}, room=f"p:{participant_id}")
        local = [p.sid for p in self.peers.sockets_of(participant_id)]
        remote = await self.presence.sockets_of(session_id, participant_id)
        for sid in dict.fromkeys([*local, *remote]):
            await self.sio.leave_room(sid, f"call:{session_id}")
            await self.sio.disconnect(sid)
        await self.sio.emit(
            "lobby.moved", {"session": session_id, "participant": participant_id}, room=f"dash:{caseworker_id}"
        )

    async def session_ended(self, session_id: str, outcome: Outcome) -> None:
        """Tell every page of the session that it is over, and empty its waiting room."""
        self._offered.pop(session_id, None)
        for entry in await self.waiting.entries(session_id):
            await self.waiting.leave(session_id, entry.participant_id)
        await self.sio.emit("session.ended", {"outcome": outcome.value}, room=f"s:{session_id}")

    async def third_asked(self, session_id: str, role: str) -> None:
        await self.mesh.asked(session_id, role)

    async def third_answered(self, session_id: str, agreed: bool) -> None:
        await self.mesh.answered(session_id, agreed)

    async def third_removed(self, session_id: str, participant_id: str) -> None:
        await self.mesh.remove(session_id, participant_id)

    async def peer_unsupported(self, session_id: str, participant_id: str, reason: str) -> None:
        payload = {"participant": participant_id, "reason": reason}
        await self.sio.emit("peer.unsupported", payload, room=f"call:{session_id}")

    # ---------------------------------------------------------------- presence (other nodes)

    async def lapsed(self, session_id: str, participant_id: str) -> None:
        await self.connections.lapsed(session_id, participant_id)

    async def grace_ended(self, session_id: str, participant_id: str) -> None:
        await self.connections.grace_ended(session_id, participant_id)
