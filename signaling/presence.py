"""Who is in which call, across every node: for ``call.peers``, grace handling and withdrawal.

``LocalPresence`` reads this node's ``PeerIndex`` (one node, no Redis). ``RedisPresence``
keeps one hash per call socket, ``P:peer:<sid>`` (participant, role, instance, consent,
join time), and one set per call, ``P:call:<session>`` (the sids). Each hash has a TTL
that the owning node refreshes while the socket lives, so the sockets of a killed node
drop out by themselves. The refresh writes the whole hash and set membership again, so
a Redis that restarted empty is filled again by the nodes that hold the sockets. The
relay path never reads any of this: it checks the local index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from redis.asyncio import Redis

from signaling.peers import Peer, PeerIndex

__all__ = ["Presence", "LocalPresence", "RedisPresence", "CallMember"]

CallMember = dict[str, str | None]  # the wire form: participant, role, instance


class Presence(Protocol):
    async def join(self, peer: Peer) -> None:
        """``peer`` (already in the local index) entered its call."""

    async def leave(self, peer: Peer) -> None:
        """``peer`` (already out of the local index) left its call."""

    async def in_call(self, session_id: str, participant_id: str) -> bool:
        """Whether any socket of the participant is in the call, on any node."""

    async def call_peers(self, session_id: str, exclude: str | None) -> list[CallMember]:
        """One entry per participant in the call (its newest socket), on any node."""

    async def withdraw(self, session_id: str, participant_id: str) -> list[str]:
        """Mark the participant's call sockets as without consent; return those on other nodes."""

    async def refresh(self, peers: Iterable[Peer]) -> None:
        """Keep this node's call sockets alive, writing them again if Redis lost them."""

    async def sockets_of(self, session_id: str, participant_id: str) -> list[str]:
        """The sids of the participant's call sockets, on any node."""


class LocalPresence:
    """Presence of a single node: its own index is the whole truth."""

    def __init__(self, index: PeerIndex) -> None:
        self._index = index

    async def join(self, peer: Peer) -> None:
        pass

    async def leave(self, peer: Peer) -> None:
        pass

    async def in_call(self, session_id: str, participant_id: str) -> bool:
        return self._index.in_call(session_id, participant_id)

    async def call_peers(self, session_id: str, exclude: str | None) -> list[CallMember]:
        return [p.wire() for p in self._index.call_peers(session_id, exclude=exclude)]

    async def withdraw(self, session_id: str, participant_id: str) -> list[str]:
        return []

    async def sockets_of(self, session_id: str, participant_id: str) -> list[str]:
        return [p.sid for p in self._index.sockets_of(participant_id) if p.in_call]

    async def refresh(self, peers: Iterable[Peer]) -> None:
        pass


_FIELDS = ("participant", "role", "instance", "consented", "joined")


class RedisPresence:
    """Presence shared over Redis; the Redis client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl_seconds * 1000))

    def _peer(self, sid: str) -> str:
        return f"{self._prefix}:peer:{sid}"

    def _call(self, session_id: str) -> str:
        return f"{self._prefix}:call:{session_id}"

    def _write(self, pipe: Any, peer: Peer) -> None:
        """Queue the peer's hash and call-set membership, with fresh TTLs (idempotent)."""
        assert peer.session_id is not None and peer.participant_id is not None
        fields: dict[Any, Any] = {
            "participant": peer.participant_id,
            "role": peer.role,
            "instance": peer.instance or "",
            "consented": "1" if peer.consented else "0",
            "joined": str(peer.joined_ns),
        }
        pipe.hset(self._peer(peer.sid), mapping=fields)
        pipe.pexpire(self._peer(peer.sid), self._ttl_ms)
        pipe.sadd(self._call(peer.session_id), peer.sid)
        pipe.pexpire(self._call(peer.session_id), self._ttl_ms)

    async def join(self, peer: Peer) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self._write(pipe, peer)
            await pipe.execute()

    async def leave(self, peer: Peer) -> None:
        assert peer.session_id is not None
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._peer(peer.sid))
            pipe.srem(self._call(peer.session_id), peer.sid)
            await pipe.execute()

    async def _members(self, session_id: str) -> list[tuple[str, dict[str, str]]]:
        raw: Any = await self._redis.smembers(self._call(session_id))
        sids = sorted(s.decode() for s in raw)
        if not sids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hmget(self._peer(sid), list(_FIELDS))
            rows = await pipe.execute()
        members, lapsed = [], []
        for sid, row in zip(sids, rows, strict=True):
            if row[0] is None:
                lapsed.append(sid)  # its node died, or it left between the two reads
                continue
            members.append((sid, {k: (v.decode() if v is not None else "") for k, v in zip(_FIELDS, row, strict=True)}))
        if lapsed:
            await self._redis.srem(self._call(session_id), *lapsed)
        return members

    async def in_call(self, session_id: str, participant_id: str) -> bool:
        return any(m["participant"] == participant_id for _, m in await self._members(session_id))

    async def call_peers(self, session_id: str, exclude: str | None) -> list[CallMember]:
        newest: dict[str, dict[str, str]] = {}
        for _, m in await self._members(session_id):
            pid = m["participant"]
            if pid != exclude and (pid not in newest or int(m["joined"]) > int(newest[pid]["joined"])):
                newest[pid] = m
        return [
            {"participant": m["participant"], "role": m["role"], "instance": m["instance"] or None}
            for m in sorted(newest.values(), key=lambda m: int(m["joined"]))
        ]

    async def sockets_of(self, session_id: str, participant_id: str) -> list[str]:
        return [sid for sid, m in await self._members(session_id) if m["participant"] == participant_id]

    async def withdraw(self, session_id: str, participant_id: str) -> list[str]:
        found = [sid for sid, m in await self._members(session_id) if m["participant"] == participant_id]
        if found:
            async with self._redis.pipeline(transaction=False) as pipe:
                for sid in found:
                    pipe.hset(self._peer(sid), "consented", "0")
                await pipe.execute()
        return found

    async def refresh(self, peers: Iterable[Peer]) -> None:
        in_call = [p for p in peers if p.in_call and p.session_id and p.participant_id]
        if not in_call:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for peer in in_call:
                self._write(pipe, peer)
            await pipe.execute()
