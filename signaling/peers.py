"""Who is connected to this node, and in which call: the relay's in-memory index.

Kept per node and out of the database so the relay path does no I/O.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Peer", "PeerIndex"]


@dataclass(slots=True)
class Peer:
    sid: str
    role: str  # "dashboard" | "caseworker" | "recipient"
    account_id: int | None = None
    session_id: str | None = None
    caseworker_id: int | None = None
    participant_id: str | None = None
    instance: str | None = None
    in_call: bool = False
    waiting: bool = False
    # A current consent record exists. Recipients connect only with one; the caseworker's
    # acceptance of the service terms at login counts as consent (docs/protocol.md).
    consented: bool = True
    # When the socket connected (its call join time, for the newest-socket rule) and, while
    # waiting, the first arrival the waiting room keeps: the heartbeat writes both back
    # after Redis lost them.
    joined_ns: int = field(default_factory=time.time_ns)
    arrived_at: datetime | None = None

    def wire(self) -> dict[str, str | None]:
        return {"participant": self.participant_id, "role": self.role, "instance": self.instance}


@dataclass
class PeerIndex:
    by_sid: dict[str, Peer] = field(default_factory=dict)
    # session id -> participant id -> that participant's sockets in the call, oldest first
    calls: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Sids of this node's sockets without consent (``withdraw`` marks them): while there
    # are none, the relay's consent gate looks at no call at all.
    unconsented: set[str] = field(default_factory=set)

    def add(self, peer: Peer) -> None:
        self.by_sid[peer.sid] = peer
        if not peer.consented:
            self.unconsented.add(peer.sid)
        if peer.in_call and peer.session_id and peer.participant_id:
            members = self.calls.setdefault(peer.session_id, {})
            members.setdefault(peer.participant_id, []).append(peer.sid)

    def remove(self, sid: str) -> Peer | None:
        peer = self.by_sid.pop(sid, None)
        self.unconsented.discard(sid)
        if peer and peer.in_call and peer.session_id and peer.participant_id:
            members = self.calls.get(peer.session_id, {})
            sids = members.get(peer.participant_id)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del members[peer.participant_id]
            if not members:
                self.calls.pop(peer.session_id, None)
        return peer

    def in_call(self, session_id: str, participant_id: str) -> bool:
        return bool(self.calls.get(session_id, {}).get(participant_id))

    def sockets_of(self, participant_id: str) -> list[Peer]:
        """Every socket of ``participant_id`` on this node (waiting, call or both)."""
        return [p for p in self.by_sid.values() if p.participant_id == participant_id]

    def withdraw(self, participant_id: str) -> list[Peer]:
        """Mark every socket of ``participant_id`` as without consent; return them."""
        found = self.sockets_of(participant_id)
        for peer in found:
            peer.consented = False
            self.unconsented.add(peer.sid)
        return found

    def unconsented_in_call(self, session_id: str, exclude: str | None = None) -> list[str]:
        """Sids in the call of ``session_id`` whose participant has no current consent."""
        if not self.unconsented:
            return []  # the relay asks on every message; nobody on this node withdrew
        return [
            sid
            for pid, sids in self.calls.get(session_id, {}).items()
            if pid != exclude
            for sid in sids
            if not self.by_sid[sid].consented
        ]

    def call_peers(self, session_id: str, exclude: str | None = None) -> list[Peer]:
        """One peer per participant in the call (their newest socket)."""
        found = []
        for pid, sids in self.calls.get(session_id, {}).items():
            if pid != exclude and sids:
                found.append(self.by_sid[sids[-1]])
        return found
