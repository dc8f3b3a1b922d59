"""One link, one device, one booking: what a forwarded link could do before, against a real port."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.models import BookingRow, ParticipantRow
from tests.conftest import create_session, csrf_from, join_and_consent, login
from tests.sio import Peer, instance
from tests.test_booking_http import _form, _slot, recipient  # noqa: F401  (fixture)
from web.keys import DB

_SLOTS = [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30), (14, 0), (14, 30)]


async def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_eight_slots_posted_at_once_book_one(database, recipient, app) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    person, session_id, _caseworker, _csrf = recipient
    forms = [await _form(person, session_id) for _ in _SLOTS]
    # Monday's hours are 08:00-12:00; Thursday has afternoons: keep to the morning slots.
    slots = [_slot(h, m) for h, m in _SLOTS if h < 12]
    posts = [
        person.post(
            f"/s/{session_id}/fallback",
            data={
                "csrf_token": csrf,
                "idempotency_key": key,
                "channel": "phone",
                "phone": "030 1234567",
                "who": "mine",
                "slot": slot,
            },
            allow_redirects=False,
        )
        for (_html, csrf, key), slot in zip(forms, slots, strict=False)
    ]
    responses = await asyncio.gather(*posts)
    statuses = [r.status for r in responses]
    assert all(s < 500 for s in statuses), statuses
    assert await _count(app, BookingRow, BookingRow.status == "booked") == 1
    # Every answer leads to that one booking's confirmation.
    locations = {r.headers.get("Location") for r in responses if r.status == 303}
    assert len(locations) == 1 and next(iter(locations)).startswith("/booking/manage/")


async def test_database_refuses_a_second_active_booking(database, db) -> None:  # type: ignore[no-untyped-def]
    dbm = db
    moment = datetime.now(UTC)
    async with dbm.begin() as session:
        from storage import sessions as store
        from storage.models import CounselSessionRow

        session.add(
            CounselSessionRow(
                id=str(uuid.uuid4()),
                caseworker_id=1,
                benefit_group="sgb2",
                language="de",
                state="open",
                invitation_jti=str(uuid.uuid4()),
                created_at=moment,
            )
        )
        await session.flush()
        session_id = (await session.scalars(select(CounselSessionRow.id))).one()
        participant, _secret = await store.add_participant(session, session_id, "recipient", moment, via_link=True)

    def row(hour: int, **extra: str) -> BookingRow:
        return BookingRow(
            id=str(uuid.uuid4()),
            caseworker_id=1,
            channel="phone",
            status="booked",
            starts_at=moment + timedelta(hours=hour),
            ends_at=moment + timedelta(hours=hour, minutes=30),
            idempotency_key=str(uuid.uuid4()),
            created_at=moment,
            **extra,
        )

    async with dbm.begin() as session:
        session.add(row(1, participant_id=participant.id, session_id=session_id))
    for holder in ({"participant_id": participant.id}, {"session_id": session_id}):
        with pytest.raises(IntegrityError):
            async with dbm.begin() as session:
                session.add(row(2, **holder))
    with pytest.raises(IntegrityError):  # and a second participant from the same link
        async with dbm.begin() as session:
            await store.add_participant(session, session_id, "recipient", moment, via_link=True)


_ACTION = re.compile(r'<form method="post" action="(/join/[^"]+)"')


async def test_forwarded_link_never_makes_a_second_participant(database, server, app, new_client) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    csrf = await login(cw)
    session_id, join_path = await create_session(cw, csrf)
    dashboard = Peer()
    first_socket = Peer()
    try:
        await dashboard.connect(server, cw, {"role": "dashboard"})
        await dashboard.next("lobby.snapshot")
        first = await new_client()
        await join_and_consent(first, join_path)
        await first_socket.connect(
            server, first, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
        )
        participant = (await dashboard.next("lobby.update"))["waiting"][0]["participant"]

        # Twelve cookie-less opens of the forwarded link, at once.
        others = [await new_client() for _ in range(12)]
        responses = await asyncio.gather(*(o.get(join_path, allow_redirects=False) for o in others))
        assert [r.status for r in responses] == [409] * 12
        assert await _count(app, ParticipantRow, ParticipantRow.role == "recipient") == 1
        page = await responses[0].text()
        assert "bereits auf einem anderen Gerät geöffnet" in page
        action = _ACTION.search(page)
        assert action and action.group(1) == join_path

        # "Continue on this device" moves the same participant here.
        second = others[0]
        resp = await second.post(join_path, data={"csrf_token": csrf_from(page)}, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == f"/s/{session_id}"
        assert await _count(app, ParticipantRow, ParticipantRow.role == "recipient") == 1
        # The first page is told and dropped; its cookie opens nothing any more.
        assert await first_socket.next("participant.moved") == {}
        assert (await first.get(f"/s/{session_id}/wait", allow_redirects=False)).status == 403
        assert (await dashboard.next("lobby.moved")) == {"session": session_id, "participant": participant}
        # The second device is the same participant: consent given there counts.
        wait = await second.get(f"/s/{session_id}/wait", allow_redirects=False)
        assert wait.status == 200
        moved_socket = Peer()
        try:
            await moved_socket.connect(
                server, second, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
            )
            update = await dashboard.next("lobby.update")
            while not update["waiting"]:
                update = await dashboard.next("lobby.update")
            assert [e["participant"] for e in update["waiting"]] == [participant]
        finally:
            await moved_socket.close()
    finally:
        await first_socket.close()
        await dashboard.close()
