"""Who may connect a socket, and what its disconnect leaves behind (grace timers).

The connect reads its grant through ``application.admission`` (one indexed query) and
refuses with ``ConnectionRefusedError`` (``transport.refused``); the disconnect tells the
call ``peer.left`` and, after the rejoin grace, ``peer.gone``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from application.admission import RecipientGrant
from rooms.session import Admission
from signaling import payloads
from signaling.config import Credentials
from signaling.errors import Refusal
from signaling.peers import Peer
from signaling.transport import refused

if TYPE_CHECKING:
    from signaling.server import SignalingServer

__all__ = ["Connections"]


class Connections:
    def __init__(self, server: SignalingServer, credentials: Credentials) -> None:
        self._s = server
        self._credentials = credentials
        self._timers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._closed = False

    async def close(self) -> None:
        """Cancel the grace timers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        timers = list(self._timers.values())
        self._timers.clear()
        for task in timers:
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    def _later(self, coro: Awaitable[None]) -> None:
        """Run after the connect handler returns (after the CONNECT packet is queued)."""
        task = asyncio.ensure_future(coro)
        key = ("_later", str(id(task)))
        self._timers[key] = task
        task.add_done_callback(lambda _t: self._timers.pop(key, None))

    # ---------------------------------------------------------------- connect

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            wanted = payloads.connect_auth(auth)
        except Refusal as exc:
            raise refused("bad_request", exc.message) from exc
        request: web.Request = environ["aiohttp.request"]
        if wanted.role == "recipient":
            peer = await self._connect_recipient(sid, request, wanted)
        else:
            peer = await self._connect_staff(sid, request, wanted)
        # What an idle socket holds: the connect has read what it needs, so the WSGI-style
        # copy of the request's headers goes (the request stays, to abort its transport).
        environ.clear()
        environ["aiohttp.request"] = request
        # Sockets per participant are capped, on every node together: twenty extra sockets
        # would be twenty more connections to hold (the event budget is per participant).
        if not await self._s.presence.claim(peer, self._s.sockets_per_participant):
            raise refused("too_many_sockets", "Too many pages open; close one and try again.")
        self._s.transports.connected(request)
        await self._enter(peer)

    async def _enter(self, peer: Peer) -> None:
        s, sid = self._s, peer.sid
        s.peers.add(peer)
        if peer.in_call:
            await s.presence.join(peer)
        if peer.role == "dashboard":
            await s.sio.enter_room(sid, f"dash:{peer.account_id}")
            self._later(s.lobby.snapshot(peer))
            return
        await s.sio.enter_room(sid, f"s:{peer.session_id}")
        if peer.role == "recipient":  # every page of it, so a move reaches them all
            await s.sio.enter_room(sid, f"p:{peer.participant_id}")
        if peer.in_call:
            await s.sio.enter_room(sid, f"call:{peer.session_id}")
            await s.mesh.enter(peer)
            self._later(self._announce_joined(peer))
        elif peer.waiting:
            await s.sio.enter_room(sid, f"p:{peer.participant_id}")
            self._later(s.lobby.broadcast(peer.session_id, peer.caseworker_id))
        # Otherwise the recipient's end page: it only listens for session.ended (issue 12).

    async def _connect_staff(self, sid: str, request: web.Request, wanted: Any) -> Peer:
        token, _ = self._credentials(request.cookies)
        if not token:
            raise refused("unauthenticated", "Not logged in.")
        session_id = None if wanted.role == "dashboard" else wanted.session
        grant = await self._s.admissions.staff_grant(token, session_id)
        if grant is None:
            raise refused("unauthenticated", "Not logged in.")
        if grant.role != "caseworker":
            raise refused("forbidden", "Only caseworkers hold calls.")
        if session_id is None:
            return Peer(sid, "dashboard", account_id=grant.account_id)
        if not grant.session_joinable or grant.participant_id is None:
            raise refused("forbidden", "Not your session, or it has ended.")
        return Peer(
            sid,
            "caseworker",
            account_id=grant.account_id,
            session_id=session_id,
            caseworker_id=grant.account_id,
            participant_id=grant.participant_id,
            instance=wanted.instance,
            in_call=True,
        )

    async def _connect_recipient(self, sid: str, request: web.Request, wanted: Any) -> Peer:
        _, cookie = self._credentials(request.cookies)
        if cookie is None:
            raise refused("unauthenticated", "Open your invitation link first.")
        grant = await self._s.admissions.recipient_grant(*cookie)
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
        return await self._guest(sid, grant, wanted)

    async def _guest(self, sid: str, grant: RecipientGrant, wanted: Any) -> Peer:
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
        arrived_at = None if admitted else await self._s.waiting.arrive(session_id, participant_id, self._s.now())
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

    async def _announce_joined(self, peer: Peer) -> None:
        assert peer.session_id is not None
        sio = self._s.sio
        others = await self._s.presence.call_peers(peer.session_id, exclude=peer.participant_id)
        # To this node's own socket: not through the Redis queue (no other node holds it).
        await sio.emit("call.peers", {"self": peer.participant_id, "peers": others}, to=peer.sid, ignore_queue=True)
        if others:  # alone in the call: nobody to tell (whoever joins next gets call.peers)
            await sio.emit("peer.joined", peer.wire(), room=f"call:{peer.session_id}", skip_sid=peer.sid)

    # ---------------------------------------------------------------- disconnect

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        s = self._s
        environ = s.sio.get_environ(sid) or {}
        request = environ.get("aiohttp.request")
        if request is not None:
            s.transports.left(request)  # a transport that stays gets the connect deadline again
        peer = s.peers.remove(sid)
        if peer is not None:
            await s.presence.release(peer)
        if peer is None or peer.session_id is None or peer.participant_id is None:
            return
        session_id, participant_id = peer.session_id, peer.participant_id
        if peer.in_call:
            await s.presence.leave(peer)
        if peer.in_call and not await s.presence.in_call(session_id, participant_id):
            grace = s.settings.rejoin_grace_seconds
            await s.sio.emit("peer.left", {"participant": participant_id, "grace": grace}, room=f"call:{session_id}")
            if not await s.presence.schedule_gone(session_id, participant_id, grace):
                self._start_timer(session_id, participant_id, self._expire_call_member(peer))
        elif peer.waiting and not s.peers.sockets_of(participant_id):
            await s.waiting.away(session_id, participant_id)
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
        await asyncio.sleep(self._s.settings.rejoin_grace_seconds)
        await self.grace_ended(peer.session_id or "", peer.participant_id or "")

    async def lapsed(self, session_id: str, participant_id: str) -> None:
        """A call socket of a node that died lapsed (``signaling.watch``): as a disconnect would."""
        s = self._s
        if await s.presence.in_call(session_id, participant_id):
            return  # back through another socket already
        grace = s.settings.rejoin_grace_seconds
        await s.sio.emit("peer.left", {"participant": participant_id, "grace": grace}, room=f"call:{session_id}")
        await s.presence.schedule_gone(session_id, participant_id, grace)

    async def grace_ended(self, session_id: str, participant_id: str) -> None:
        """The grace after ``peer.left`` ended, on this node or (shared presence) any node."""
        if not await self._s.presence.in_call(session_id, participant_id):
            await self._s.sio.emit("peer.gone", {"participant": participant_id}, room=f"call:{session_id}")

    async def _expire_waiting(self, peer: Peer) -> None:
        await asyncio.sleep(self._s.settings.rejoin_grace_seconds)
        assert peer.session_id and peer.participant_id
        if await self._s.waiting.leave_if_away(peer.session_id, peer.participant_id):
            await self._s.lobby.broadcast(peer.session_id, peer.caseworker_id)
