"""The socket.io server: authenticates connections, tracks presence, relays signalling.

Event handlers only translate: payloads are validated in ``payloads``, state changes are
decided by the ``rooms`` domain, and refusals are mapped to acks in ``errors``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import WSCloseCode, web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from consent.errors import ConsentMissing
from recordings_policy import Category, PolicyError, RetentionPolicy
from rooms.errors import NotAdmitted, RoomsError
from rooms.session import Admission, Outcome
from rooms.waiting_room import WaitingRoom
from signaling import payloads
from signaling.config import Credentials, PassCookies, SignalingSettings
from signaling.errors import Refusal, error_reply
from signaling.events import GuardedServer
from signaling.lobby import Lobby
from signaling.mesh import Mesh, peer_room
from signaling.metrics import NoMetrics, SignalingMetrics
from signaling.passes import PassCheck
from signaling.peers import Peer, PeerIndex
from signaling.presence import LocalPresence, Presence
from signaling.transport import Traffic, refused, websocket_class
from storage import audit, consents, grants, sessions
from storage.grant_passes import Passes
from storage.revocations import Revocations

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
        pass_cookies: PassCookies | None = None,
        metrics: SignalingMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._pass_cookies = pass_cookies
        # Signed grants from the page load (bind): a connect with a trusted one reads no database.
        self._pass_check: PassCheck | None = None
        self._metrics: SignalingMetrics = metrics or NoMetrics()
        # Session id -> when its first offer was relayed through this node, until the answer.
        self._offered: dict[str, float] = {}
        self._policy = policy
        self._db: async_sessionmaker[AsyncSession]
        self._waiting: WaitingRoom
        self._lobby: Lobby
        self._peers = PeerIndex()
        self._presence: Presence = LocalPresence(self._peers)
        self._timers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._closed = False
        origins: str | list[str] | None = None
        if settings.public_url:
            parts = urlsplit(settings.public_url)
            origins = [f"{parts.scheme}://{parts.netloc}"]
        events = {
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
        self.sio = GuardedServer(
            allowed=events,
            connect_timeout=settings.socket_connect_timeout_seconds,
            on_refused=self._metrics.refused,
            async_mode="aiohttp",
            transports=["websocket"],
            cors_allowed_origins=origins,
            client_manager=client_manager,
            max_http_buffer_size=256 * 1024,
            ping_interval=20,
            ping_timeout=20,
            logger=False,
            engineio_logger=False,
        )
        self._websockets: set[web.WebSocketResponse] = set()
        self.traffic = Traffic()
        self.sio.eio._async = {**self.sio.eio._async, "websocket": websocket_class(self._websockets, self.traffic)}
        self.mesh = Mesh(self.sio, self._peers)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        for event, handler in events.items():
            self.sio.on(event, self._acked(handler))
        self.sio.on("*", self._on_unknown)

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app)

    @property
    def peers(self) -> PeerIndex:
        return self._peers

    def bind(
        self,
        db: async_sessionmaker[AsyncSession],
        waiting_room: WaitingRoom,
        presence: Presence | None = None,
        *,
        passes: Passes | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        """Hand over the resources opened at start-up (routes must exist before that).

        Without ``presence`` the call membership is this node's own index (one node);
        without ``passes`` and ``revocations`` every connect reads its grant from the database.
        """
        self._db = db
        if passes is not None and revocations is not None and self._pass_cookies is not None:
            self._pass_check = PassCheck(passes, revocations, self._pass_cookies, self._metrics, self._settings.clock)
        self._waiting = waiting_room
        self._lobby = Lobby(self.sio, db, waiting_room, self._settings.clock)
        if presence is not None:
            self._presence = presence

    async def close(self) -> None:
        """Cancel grace timers and disconnect everybody; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        timers = list(self._timers.values())
        self._timers.clear()
        for task in timers:
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        # Close every websocket so clients reconnect (to another node, when there is one)
        # instead of the server waiting for each to time out.
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY) for ws in list(self._websockets)),
            return_exceptions=True,
        )
        await self.sio.shutdown()

    # ---------------------------------------------------------------- plumbing

    def _acked(self, handler: Handler) -> Callable[[str, Any], Awaitable[dict[str, Any]]]:
        @functools.wraps(handler)
        async def wrapper(sid: str, data: Any = None) -> dict[str, Any]:
            try:
                result = await handler(sid, data)
            except (Refusal, RoomsError, ConsentMissing, PolicyError) as exc:
                reply = error_reply(exc)
                assert reply is not None
                self._metrics.refused(str(reply["error"]["code"]))
                if isinstance(exc, Refusal) and exc.code == "bad_payload":
                    logger.warning("refused %s: bad payload (%s)", handler.__name__, exc.message)
                return reply
            except Exception:
                logger.exception("signalling handler %s failed", handler.__name__)
                self._metrics.refused("internal")
                return {"ok": False, "error": {"code": "internal", "message": "Server error."}}
            return {"ok": True, **(result or {})}

        return wrapper

    async def _on_unknown(self, event: str, sid: str, data: Any = None) -> dict[str, Any]:
        self._metrics.refused("unknown_event")
        return {"ok": False, "error": {"code": "unknown_event", "message": "Unknown event."}}

    def _later(self, coro: Awaitable[None]) -> None:
        """Run after the current handler returns (e.g. after the CONNECT packet is queued)."""
        task = asyncio.ensure_future(coro)
        key = ("_later", str(id(task)))
        self._timers[key] = task
        task.add_done_callback(lambda _t: self._timers.pop(key, None))

    def _now(self) -> Any:
        return self._settings.clock()

    # ---------------------------------------------------------------- connect

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            wanted = payloads.connect_auth(auth)
        except Refusal as exc:
            raise refused("bad_request", exc.message) from exc
        request: web.Request = environ["aiohttp.request"]
        if wanted.role == "recipient":
            peer = await self._connect_recipient(sid, request, wanted)
        else:
            peer = await self._connect_staff(sid, request, wanted)
        self._peers.add(peer)
        if peer.in_call:
            await self._presence.join(peer)
        if peer.role == "dashboard":
            await self.sio.enter_room(sid, f"dash:{peer.account_id}")
            self._later(self._lobby.snapshot(peer))
            return
        await self.sio.enter_room(sid, f"s:{peer.session_id}")
        if peer.role == "recipient":  # every page of it, so a move reaches them all
            await self.sio.enter_room(sid, f"p:{peer.participant_id}")
        if peer.in_call:
            await self.sio.enter_room(sid, f"call:{peer.session_id}")
            await self.mesh.enter(peer)
            self._later(self._announce_joined(peer))
        elif peer.waiting:
            await self.sio.enter_room(sid, f"p:{peer.participant_id}")
            self._later(self._lobby.broadcast(peer.session_id, peer.caseworker_id))
        # Otherwise the recipient's end page: it only listens for session.ended (issue 12).

    async def _connect_staff(self, sid: str, request: web.Request, wanted: Any) -> Peer:
        token, _ = self._credentials(request.cookies)
        if not token:
            raise refused("unauthenticated", "Not logged in.")
        session_id = None if wanted.role == "dashboard" else wanted.session
        grant = self._pass_check.staff(request.cookies, token, session_id) if self._pass_check else None
        if grant is None:
            async with self._db() as db:
                grant = await grants.staff_grant(db, token, session_id, self._now())
        if grant is None:
            raise refused("unauthenticated", "Not logged in.")
        if grant.role != "caseworker":
            raise refused("forbidden", "Only caseworkers hold calls.")
        if session_id is None:
            return Peer(sid, "dashboard", account_id=grant.account_id)
        if not grant.session_joinable:
            raise refused("forbidden", "Not your session, or it has ended.")
        participant_id = grant.participant_id
        if participant_id is None:  # a session made before caseworker participants came with it
            async with self._db.begin() as db:
                participant, _ = await sessions.add_participant(db, session_id, "caseworker", self._now())
            participant_id = participant.id
        return Peer(
            sid,
            "caseworker",
            account_id=grant.account_id,
            session_id=session_id,
            caseworker_id=grant.account_id,
            participant_id=participant_id,
            instance=wanted.instance,
            in_call=True,
        )

    async def _connect_recipient(self, sid: str, request: web.Request, wanted: Any) -> Peer:
        _, cookie = self._credentials(request.cookies)
        if cookie is None:
            raise refused("unauthenticated", "Open your invitation link first.")
        grant = self._pass_check.participant(request.cookies, *cookie) if self._pass_check else None
        if grant is None:
            async with self._db() as db:
                grant = await grants.recipient_grant(db, *cookie)
        if grant is None or grant.session_id != wanted.session:
            raise refused("unauthenticated", "Open your invitation link first.")
        if not grant.session_joinable:
            raise refused("session_closed", "The session has ended.")
        if wanted.page == "ended":
            # The end page waits for the outcome to show the feedback link; it relays nothing.
            if grant.admission is not Admission.ADMITTED:
                raise refused("not_admitted", "Only participants of the call get feedback.")
            return Peer(
                sid,
                "recipient",
                session_id=grant.session_id,
                caseworker_id=grant.caseworker_id,
                participant_id=grant.participant_id,
                instance=wanted.instance,
            )
        if grant.admission is Admission.DECLINED:
            raise refused("declined", "The caseworker declined.")
        if not grant.consented:
            raise refused("consent_required", "Consent is required first.")
        session_id, participant_id = grant.session_id, grant.participant_id
        admitted = grant.admission is Admission.ADMITTED
        if wanted.page == "wait" and admitted:
            raise refused("admitted", "You have been admitted.")
        if wanted.page == "call" and not admitted:
            raise refused("not_admitted", "Please wait until the caseworker admits you.")
        self._cancel_timer(session_id, participant_id)
        arrived_at = None if admitted else await self._waiting.arrive(session_id, participant_id, self._now())
        return Peer(
            sid,
            grant.role,  # the recipient, or a third person (interpreter, companion)
            session_id=session_id,
            caseworker_id=grant.caseworker_id,
            participant_id=participant_id,
            instance=wanted.instance,
            in_call=admitted,
            waiting=not admitted,
            arrived_at=arrived_at,
        )

    # ---------------------------------------------------------------- disconnect

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        peer = self._peers.remove(sid)
        if peer is None or peer.session_id is None or peer.participant_id is None:
            return
        session_id, participant_id = peer.session_id, peer.participant_id
        if peer.in_call:
            await self._presence.leave(peer)
        if peer.in_call and not await self._presence.in_call(session_id, participant_id):
            grace = self._settings.rejoin_grace_seconds
            await self.sio.emit(
                "peer.left",
                {"participant": participant_id, "grace": grace},
                room=f"call:{session_id}",
            )
            if not await self._presence.schedule_gone(session_id, participant_id, grace):
                self._start_timer(session_id, participant_id, self._expire_call_member(peer))
        elif peer.waiting and not self._peers.sockets_of(participant_id):
            await self._waiting.away(session_id, participant_id)
            self._start_timer(session_id, participant_id, self._expire_waiting(peer))

    def _start_timer(self, session_id: str, participant_id: str, coro: Awaitable[None]) -> None:
        self._cancel_timer(session_id, participant_id)
        task = asyncio.ensure_future(coro)
        self._timers[(session_id, participant_id)] = task
        task.add_done_callback(lambda t: self._timer_done((session_id, participant_id), t))

    def _timer_done(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._timers.get(key) is task:
            del self._timers[key]

    def _cancel_timer(self, session_id: str, participant_id: str) -> None:
        task = self._timers.pop((session_id, participant_id), None)
        if task is not None:
            task.cancel()

    async def _expire_call_member(self, peer: Peer) -> None:
        await asyncio.sleep(self._settings.rejoin_grace_seconds)
        await self.grace_ended(peer.session_id or "", peer.participant_id or "")

    async def lapsed(self, session_id: str, participant_id: str) -> None:
        """A call socket of a node that died lapsed (``signaling.watch``): as a disconnect would."""
        if await self._presence.in_call(session_id, participant_id):
            return  # back through another socket already
        grace = self._settings.rejoin_grace_seconds
        await self.sio.emit("peer.left", {"participant": participant_id, "grace": grace}, room=f"call:{session_id}")
        await self._presence.schedule_gone(session_id, participant_id, grace)

    async def grace_ended(self, session_id: str, participant_id: str) -> None:
        """The grace after ``peer.left`` ended, on this node or (shared presence) any node."""
        if not await self._presence.in_call(session_id, participant_id):
            await self.sio.emit("peer.gone", {"participant": participant_id}, room=f"call:{session_id}")

    async def _expire_waiting(self, peer: Peer) -> None:
        await asyncio.sleep(self._settings.rejoin_grace_seconds)
        assert peer.session_id and peer.participant_id
        if await self._waiting.leave_if_away(peer.session_id, peer.participant_id):
            await self._lobby.broadcast(peer.session_id, peer.caseworker_id)

    # ---------------------------------------------------------------- waiting room

    async def _on_admit(self, sid: str, data: Any) -> dict[str, Any]:
        wanted = payloads.lobby_target(data)
        arrived = {e.participant_id: e.arrived_at for e in await self._waiting.entries(wanted.session)}
        result = await self._lobby.admit(self._peers.by_sid.get(sid), data)
        if wanted.participant in arrived:
            self._metrics.admitted(max(0.0, (self._now() - arrived[wanted.participant]).total_seconds()))
        return result

    async def _on_decline(self, sid: str, data: Any) -> None:
        await self._lobby.decline(self._peers.by_sid.get(sid), data)

    # ---------------------------------------------------------------- call

    async def _announce_joined(self, peer: Peer) -> None:
        assert peer.session_id is not None
        others = await self._presence.call_peers(peer.session_id, exclude=peer.participant_id)
        # To this node's own socket: not through the Redis queue (no other node holds it).
        await self.sio.emit(
            "call.peers",
            {"self": peer.participant_id, "peers": others},
            to=peer.sid,
            ignore_queue=True,
        )
        if others:  # alone in the call: nobody to tell (whoever joins next gets call.peers)
            await self.sio.emit("peer.joined", peer.wire(), room=f"call:{peer.session_id}", skip_sid=peer.sid)

    def _call_member(self, sid: str) -> Peer:
        peer = self._peers.by_sid.get(sid)
        if peer is None or not peer.in_call:
            raise NotAdmitted(sid)
        return peer

    async def _relay(self, sid: str, event: str, body: dict[str, Any], to: str | None = None) -> None:
        peer = self._call_member(sid)
        assert peer.session_id is not None
        # The consent gate, from memory only: the relay path does no database I/O.
        if not peer.consented:
            raise Refusal("consent_required", "Consent is required first.")
        if self._peers.unconsented_in_call(peer.session_id, exclude=peer.participant_id):
            raise Refusal("consent_required", "The other participant has withdrawn consent.")
        body["from"] = peer.participant_id
        # With "to", only the addressed participant's pages (in this session's call) get it.
        room = peer_room(peer.session_id, to) if to else f"call:{peer.session_id}"
        await self.sio.emit(event, body, room=room, skip_sid=sid)
        self._metrics.relayed(event)
        self._time_set_up(peer.session_id, event)

    def _time_set_up(self, session_id: str, event: str) -> None:
        """Set-up time: an offer to the next answer in the call (set-up or renegotiation), both through this node."""
        if event == "offer":
            if len(self._offered) > 10_000:  # offers nobody answered: forget, bound memory
                self._offered.clear()
            self._offered.setdefault(session_id, time.monotonic())
        elif event == "answer" and session_id in self._offered:
            self._metrics.call_set_up(time.monotonic() - self._offered.pop(session_id))
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
        peer = self._peers.by_sid.get(sid)
        if peer is None or peer.role in ("caseworker", "dashboard"):
            raise Refusal("forbidden", "Only a recipient or a third person withdraws consent here.")
        assert peer.session_id is not None and peer.participant_id is not None
        session_id, participant_id = peer.session_id, peer.participant_id
        # Memory first, so no signalling slips through while the database commits.
        withdrawn = self._peers.withdraw(participant_id)
        # Its call sockets on other nodes: marked in Redis, then disconnected through the
        # manager; they are refused on reconnect (no current consent record).
        remote = [s for s in await self._presence.withdraw(session_id, participant_id) if s not in self._peers.by_sid]
        async with self._db.begin() as db:
            if await consents.withdraw_consent(db, participant_id, self._now()):
                # Counted once per record, not per click (a second tab may withdraw too).
                await audit.audit(db, "consent.withdrawn", self._now(), "role=recipient")
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
        if await self._waiting.leave(session_id, participant_id):
            await self._lobby.broadcast(session_id, peer.caseworker_id)

    async def _on_record_start(self, sid: str, data: Any) -> None:
        # Refused for everyone, whatever the payload: the policy never stores media.
        self._policy.ensure_storable(Category.AUDIO_VIDEO_RECORDING)

    # ---------------------------------------------------------------- from the HTTP edge

    async def participant_moved(self, session_id: str, participant_id: str, caseworker_id: int) -> None:
        """The invitation link moved to another device: tell the old pages, drop their
        sockets (their cookie no longer opens the session), and tell the dashboard."""
        await self.sio.emit("participant.moved", {}, room=f"p:{participant_id}")
        local = [p.sid for p in self._peers.sockets_of(participant_id)]
        remote = await self._presence.sockets_of(session_id, participant_id)
        for sid in dict.fromkeys([*local, *remote]):
            await self.sio.leave_room(sid, f"call:{session_id}")
            await self.sio.disconnect(sid)
        await self.sio.emit(
            "lobby.moved", {"session": session_id, "participant": participant_id}, room=f"dash:{caseworker_id}"
        )

    async def session_ended(self, session_id: str, outcome: Outcome) -> None:
        """Tell every page of the session that it is over, and empty its waiting room."""
        self._offered.pop(session_id, None)
        for entry in await self._waiting.entries(session_id):
            await self._waiting.leave(session_id, entry.participant_id)
        await self.sio.emit("session.ended", {"outcome": outcome.value}, room=f"s:{session_id}")
