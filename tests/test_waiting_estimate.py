"""The expected wait: the caseworker's pace from recent session ends, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rooms.waiting_estimate import DEFAULT_MINUTES, as_said, expected_minutes, minutes_per_person
from tests.conftest import create_session, login

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_pace_is_the_median_gap_between_session_ends_without_breaks() -> None:
    ends = [T0 + timedelta(minutes=m) for m in (0, 20, 40, 50, 300, 320)]  # 280 min: lunch
    assert minutes_per_person(ends) == 20
    assert minutes_per_person(ends[:2]) == DEFAULT_MINUTES  # too little history


def test_expected_minutes_from_position_and_appointment() -> None:
    assert expected_minutes(1, 10, T0) == 5
    assert expected_minutes(3, 10, T0) == 25
    assert expected_minutes(1, 10, T0, T0 + timedelta(minutes=40)) == 40
    assert expected_minutes(1, 10, T0, T0 - timedelta(minutes=40)) == 5


def test_minutes_are_said_roughly() -> None:
    assert as_said(7) == timedelta(minutes=7)
    assert as_said(23) == timedelta(minutes=25)
    assert as_said(130) == timedelta(hours=2)


async def test_waiting_room_shows_the_expected_wait_in_the_page_language(client, new_client) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import join_and_consent

    csrf = await login(client)
    _, join_path = await create_session(client, csrf)
    person = await new_client()
    session_id = await join_and_consent(person, join_path)
    html = await (await person.get(f"/s/{session_id}/wait")).text()
    # No history: 15 minutes a person, half of it for the one in the call → "etwa 8 Minuten".
    assert "Voraussichtliche Wartezeit: etwa 8 Minuten." in html
    assert 'data-minutes-per-person="15.0"' in html
    arabic = await (await person.get(f"/s/{session_id}/wait?lang=ar")).text()
    assert "وقت الانتظار المتوقع: حوالي 8 دقائق." in arabic
