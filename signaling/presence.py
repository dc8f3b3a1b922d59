"""Who is in which call, across every node: for ``call.peers``, grace handling and withdrawal.

``LocalPresence`` reads this node's ``PeerIndex`` (one node, no Redis). ``RedisPresence``
keeps one hash per call socket, ``P:peer:<sid>`` (participant, role, instance, consent,
join time), and one set per call, ``P:call:<session>`` (the sids). Each hash has a TTL
that the owning node refreshes while the socket lives, so the sockets of a killed node
drop out by themselves. The refresh writes the whole hash and set membership again, so
a Redis that restarted empty is filled again by the nodes that hold the sockets; it also
writes back every pending grace deadline (``P:gone``) that Redis lost, from the copy each
node keeps of all of them, so a grace outlives a Redis restart even when the node that
started it died too. ``P:sockets:<participant>`` (sid -> expiry) counts a participant's
sockets on every node, for the cap per participant; refreshed alike. The
relay path never reads any of this: it checks the local index.

Nodes die without saying so. Two sorted sets, scored by deadlines on Redis's clock, let
every surviving node notice: ``P:watch`` (member ``<session> <participant> <sid>``, the
socket's hash's expiry, refreshed with it) and ``P:gone`` (member ``<session>
<participant>``, when the grace after ``peer.left`` ends). ``lapsed()`` and ``gone_due()``
take the entries whose deadline passed, atomically, so each goes to exactly one node,
which then tells the call (``signaling.watch``). The grace period therefore outlives the
node that started it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from redis.asyncio import Redis

from signaling.peers import Peer, PeerIndex

__all__ = ["Presence", "LocalPresence", "RedisPresence", "CallMember", "Member", "SOCKETS_PER_PARTICIPANT"]

# Pages of one participant open at once, on every node together: the waiting page, the
# call, the end page, a second tab, and sockets of a network switch not yet timed out.
SOCKETS_PER_PARTICIPANT = 6

CallMember = dict[str, str | None]  # the wire form: participant, role, instance
Member = tuple[str, str]  # (session id, participant id)


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

    async def schedule_gone(self, session_id: str, participant_id: str, seconds: float) -> bool:
        """Remember that the grace of a participant who left ends in ``seconds``.

        True when every node watches it (``gone_due``); False when the caller must time it.
        """

    async def lapsed(self) -> list[Member]:
        """Call sockets whose node stopped refreshing them (it died); each told to one caller."""

    async def gone_due(self) -> list[Member]:
        """Participants whose grace ended; each told to one caller."""

    async def sockets_of(self, session_id: str, participant_id: str) -> list[str]:
        """The sids of the participant's call sockets, on any node."""

    async def claim(self, peer: Peer, cap: int) -> bool:
        """Count ``peer`` (not yet in the local index) among its participant's sockets on
        every node; False when the participant holds ``cap`` already."""

    async def release(self, peer: Peer) -> None:
        """``peer``'s socket is gone: it no longer counts."""


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

    async def claim(self, peer: Peer, cap: int) -> bool:
        return peer.participant_id is None or len(self._index.sockets_of(peer.participant_id)) < cap

    async def release(self, peer: Peer) -> None:
        pass

    async def schedule_gone(self, session_id: str, participant_id: str, seconds: float) -> bool:
        return False  # one node: its own timer is as long-lived as the calls

    async def lapsed(self) -> list[Member]:
        return []

    async def gone_due(self) -> list[Member]:
        return []


_FIELDS = ("participant", "role", "instance", "consented", "joined")

# KEYS[1]: a deadline set; ARGV[1]: milliseconds from now; ARGV[2..]: members. The
# deadline is on Redis's clock, so nodes whose clocks differ still agree.
_SCHEDULE = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], deadline, ARGV[i]) end
return #ARGV - 1
"""

# KEYS[1]: a deadline set; ARGV[1]: at most this many. Takes the members whose deadline
# passed, in one step: each goes to exactly one of the nodes asking.
_TAKE_DUE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""

# KEYS[1]: the grace set; ARGV: member, deadline, member, deadline, ... as this node saw
# them. Writes back those still pending that the set lost (a Redis that restarted empty),
# never one whose deadline passed (taken already, or about to be), never over a newer one;
# returns every pending member with its deadline, for the next write-back.
_KEEP_PENDING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV, 2 do
  local deadline = tonumber(ARGV[i + 1])
  if deadline > now then redis.call('ZADD', KEYS[1], 'NX', deadline, ARGV[i]) end
end
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
"""

# KEYS[1]: a participant's sockets (sid -> expiry); ARGV: TTL (ms), cap, sid. Counts the
# sid unless the participant holds ``cap`` live sockets already; 1 when counted.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: participants' socket sets; ARGV[1]: TTL (ms), ARGV[i + 1]: a sid of KEYS[i].
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return #KEYS
"""

_TAKE_AT_ONCE = 500


class RedisPresence:
    """Presence shared over Redis; the Redis client belongs to the caller."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._schedule = redis.register_script(_SCHEDULE)
        self._take_due = redis.register_script(_TAKE_DUE)
        self._keep_pending = redis.register_script(_KEEP_PENDING)
        self._claim = redis.register_script(_CLAIM)
        self._hold = redis.register_script(_HOLD)
        # Every pending grace of the cluster as last seen: member -> deadline (ms, Redis's clock).
        self._pending: dict[str, int] = {}
        self._watch_key = f"{prefix}:watch"
        self._gone_key = f"{prefix}:gone"

    @staticmethod
    def _watched(peer: Peer) -> str:
        return f"{peer.session_id} {peer.participant_id} {peer.sid}"

    def _peer(self, sid: str) -> str:
        return f"{self._prefix}:peer:{sid}"

    def _held(self, participant_id: str) -> str:
        return f"{self._prefix}:sockets:{participant_id}"

    async def claim(self, peer: Peer, cap: int) -> bool:
        if peer.participant_id is None:
            return True
        counted = await self._claim(keys=[self._held(peer.participant_id)], args=[self._ttl_ms, cap, peer.sid])
        return bool(counted)

    async def release(self, peer: Peer) -> None:
        if peer.participant_id is not None:
            await self._redis.zrem(self._held(peer.participant_id), peer.sid)

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
            await self._schedule(keys=[self._watch_key], args=[self._ttl_ms, self._watched(peer)], client=pipe)
            await pipe.execute()

    async def leave(self, peer: Peer) -> None:
        assert peer.session_id is not None
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._peer(peer.sid))
            pipe.srem(self._call(peer.session_id), peer.sid)
            pipe.zrem(self._watch_key, self._watched(peer))
            await pipe.execute()

    async def schedule_gone(self, session_id: str, participant_id: str, seconds: float) -> bool:
        ms = max(1, int(seconds * 1000))
        member = f"{session_id} {participant_id}"
        await self._schedule(keys=[self._gone_key], args=[ms, member])
        score = await self._redis.zscore(self._gone_key, member)
        if score is not None:
            self._pending[member] = int(score)
        return True

    async def _keep_graces(self) -> None:
        """Write back the pending graces Redis lost; remember all that are pending now.

        Every node keeps every pending grace, not only its own: the node that started one
        may be gone (drained, killed) when Redis restarts, and the grace must still end.
        """
        args: list[Any] = [x for member, deadline in self._pending.items() for x in (member, deadline)]
        raw: Any = await self._keep_pending(keys=[self._gone_key], args=args)
        it = iter(raw)
        self._pending = {member.decode(): int(float(score)) for member, score in zip(it, it, strict=True)}

    async def _take(self, key: str) -> list[list[str]]:
        raw: Any = await self._take_due(keys=[key], args=[_TAKE_AT_ONCE])
        return [m.decode().split(" ") for m in raw]

    async def lapsed(self) -> list[Member]:
        found = []
        for session_id, participant_id, sid in await self._take(self._watch_key):
            # Its hash lapsed with the same TTL; gone from the call set too, at once.
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._peer(sid))
                pipe.srem(self._call(session_id), sid)
                await pipe.execute()
            found.append((session_id, participant_id))
        return found

    async def gone_due(self) -> list[Member]:
        return [(session_id, participant_id) for session_id, participant_id in await self._take(self._gone_key)]

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
        await self._keep_graces()
        peers = list(peers)
        held = [p for p in peers if p.participant_id]
        if held:
            keys = [self._held(p.participant_id or "") for p in held]
            await self._hold(keys=keys, args=[self._ttl_ms, *(p.sid for p in held)])
        in_call = [p for p in peers if p.in_call and p.session_id and p.participant_id]
        if not in_call:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for peer in in_call:
                self._write(pipe, peer)
            watched = [self._watched(p) for p in in_call]
            await self._schedule(keys=[self._watch_key], args=[self._ttl_ms, *watched], client=pipe)
            await pipe.execute()
