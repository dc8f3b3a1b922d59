"""The in-memory waiting room (one node)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rooms.waiting_room import MemoryWaitingRoom

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_arrive_returns_the_first_arrival_kept() -> None:
    room = MemoryWaitingRoom()
    assert await room.arrive("s1", "p1", T0) == T0
    assert await room.arrive("s1", "p1", T0 + timedelta(seconds=9)) == T0
    assert [(e.participant_id, e.arrived_at) for e in await room.entries("s1")] == [("p1", T0)]


async def test_touch_reports_who_is_no_longer_waiting() -> None:
    room = MemoryWaitingRoom()
    await room.arrive("s1", "p1", T0)
    await room.arrive("s1", "p2", T0)
    assert await room.leave("s1", "p1") is True
    assert await room.touch([("s1", "p1", T0), ("s1", "p2", T0)]) == [("s1", "p1")]
    assert [e.participant_id for e in await room.entries("s1")] == ["p2"]
