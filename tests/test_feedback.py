"""Anonymous feedback through the real app: the one-time link, the form, the caseworker rating."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from rooms.session import Admission
from storage import sessions
from storage.models import FeedbackBallotRow, FeedbackResponseRow, FeedbackTokenRow
from storage.purge import purge
from tests.conftest import create_session, csrf_from, join_and_consent, login
from web.keys import DB, ENGINE, METRICS, POLICY

pytestmark = pytest.mark.usefixtures("database")

_LINK = re.compile(r'href="(/feedback/t/[A-Za-z0-9_-]+)"')

GOOD = {
    "recommend": "yes",
    "next_by_video": "no",
    "satisfaction": "4",
    "technical_quality": "5",
    "device": "smartphone",
    "setup_help": "no",
    "comment": "",
}


async def ended_session(app, client, new_client, outcome: str = "video", group: str = "sgb2", admit: bool = True):  # type: ignore[no-untyped-def]
    """A session the recipient took part in and the caseworker ended; (recipient, session id, csrf)."""
    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf, group)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)
    if admit:
        async with app[DB].begin() as db:
            for p in await sessions.participants_of(db, session_id):
                if p.role == "recipient":
                    await sessions.set_admission(db, p.id, Admission.ADMITTED)
    resp = await client.post(
        f"/sessions/{session_id}/outcome", data={"outcome": outcome, "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    return recipient, session_id, csrf


async def feedback_link(recipient, session_id: str) -> str | None:  # type: ignore[no-untyped-def]
    html = await (await recipient.get(f"/s/{session_id}/ended")).text()
    match = _LINK.search(html)
    return match.group(1) if match else None


async def open_form(recipient, link: str) -> str:  # type: ignore[no-untyped-def]
    resp = await recipient.get(link, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/feedback"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Path=/feedback" in cookie
    page = await recipient.get("/feedback")
    assert page.status == 200
    return await page.text()


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app[DB]() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def ballots(app, kind: str = "response") -> list[dict]:  # type: ignore[no-untyped-def]
    """What waits in the ballot box (answers reach the results only in batches of 5+)."""
    async with app[DB]() as db:
        rows = await db.scalars(select(FeedbackBallotRow).where(FeedbackBallotRow.kind == kind))
        return [json.loads(r.payload) for r in rows]


async def test_link_is_offered_once_and_the_answer_carries_only_the_context(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    assert await feedback_link(recipient, session_id) == link  # a reload shows the same link
    assert await count(app, FeedbackTokenRow) == 1
    html = await open_form(recipient, link)
    assert link.rsplit("/", 1)[1] not in html  # the token never appears in the page
    assert "keine persönlichen Daten" in html and "<legend>" in html
    assert 'name="technical_quality"' in html  # asked because the channel was video
    resp = await recipient.post("/feedback", data={**GOOD, "csrf_token": csrf_from(html)}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/feedback/thanks"
    # The token is gone (deleted, not flagged); the answer waits in the ballot box.
    assert await count(app, FeedbackTokenRow) == 0 and await count(app, FeedbackResponseRow) == 0
    (row,) = await ballots(app)
    assert (row["benefit_group"], row["channel"], row["questionnaire_version"]) == ("sgb2", "video", "2")
    assert re.fullmatch(r"\d{4}-\d{2}", row["month"]) and row["satisfaction"] == 4 and row["technical_quality"] == 5
    assert session_id not in json.dumps(row)


async def test_double_submit_records_one_response(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    html = await open_form(recipient, link)
    token = link.rsplit("/", 1)[1]
    data = {**GOOD, "csrf_token": csrf_from(html)}
    assert (await recipient.post("/feedback", data=data, allow_redirects=False)).status == 303
    recipient.session.cookie_jar.update_cookies({"vb_feedback": token})  # a second tab still holds it
    resp = await recipient.post("/feedback", data=data, allow_redirects=False)
    assert resp.status == 400  # a used token is deleted: it is simply unknown now
    assert "bereits" in await resp.text()
    assert len(await ballots(app)) == 1
    # Not counted at submission (that would time it): the ballot mover counts moves.
    assert b"videoberatung_feedback_answers_moved_total 0.0" in app[METRICS].exposition()
    assert (await recipient.get(link, allow_redirects=False)).status == 400


async def test_bad_answers_are_refused_and_nothing_typed_is_lost(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    csrf = csrf_from(await open_form(recipient, link))
    resp = await recipient.post("/feedback", data={**GOOD, "satisfaction": "7", "csrf_token": csrf})
    assert resp.status == 400 and "angebotenen Antworten" in await resp.text()
    resp = await recipient.post("/feedback", data={**GOOD, "device": "fax", "csrf_token": csrf})
    assert resp.status == 400
    resp = await recipient.post("/feedback", data={**GOOD, "recommend": "maybe", "csrf_token": csrf})
    assert resp.status == 400 and "angebotenen Antworten" in await resp.text()
    long = "Sehr gut. " * 150
    resp = await recipient.post("/feedback", data={**GOOD, "comment": long, "csrf_token": csrf})
    html = await resp.text()
    assert resp.status == 400 and "1000 Zeichen" in html and long.strip() in html
    assert await ballots(app) == []
    resp = await recipient.post("/feedback", data={**GOOD, "csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303  # the token survived the bad attempts
    assert len(await ballots(app)) == 1


async def test_forged_missing_and_expired_tokens(app, client, new_client, clock) -> None:  # type: ignore[no-untyped-def]
    other = await new_client()
    assert (await other.get("/feedback/t/forged")).status == 400
    resp = await other.get("/feedback/t/" + "A" * 43)
    assert resp.status == 400 and "nicht gültig" in await resp.text()
    assert (await other.get("/feedback")).status == 400
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    clock.now = clock() + timedelta(days=15)
    resp = await recipient.get(link)
    assert resp.status == 410 and "abgelaufen" in await resp.text()


async def test_phone_sessions_skip_the_technical_question(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client, outcome="phone", group="sgb3")
    link = await feedback_link(recipient, session_id)
    assert link
    html = await open_form(recipient, link)
    assert 'name="technical_quality"' not in html
    data = {k: v for k, v in GOOD.items() if k != "technical_quality"}
    resp = await recipient.post("/feedback", data={**data, "csrf_token": csrf_from(html)}, allow_redirects=False)
    assert resp.status == 303
    (row,) = await ballots(app)
    assert row["channel"] == "phone" and row["benefit_group"] == "sgb3"
    assert row["technical_quality"] is None


async def test_no_link_without_a_conversation(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client, outcome="no_show")
    assert await feedback_link(recipient, session_id) is None
    waiting, other_id, _ = await ended_session(app, client, new_client, admit=False)
    assert await feedback_link(waiting, other_id) is None
    assert await count(app, FeedbackTokenRow) == 0


async def test_caseworker_rates_once_and_unlinkably(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, _ = await create_session(client, csrf)
    resp = await client.post(
        f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.headers["Location"].startswith(f"/sessions/{session_id}")
    html = await (await client.get(f"/sessions/{session_id}")).text()
    assert 'name="effort"' in html
    url = f"/sessions/{session_id}/rating"
    assert (await client.post(url, data={"effort": "9", "technical_quality": "3", "csrf_token": csrf})).status == 400
    resp = await client.post(
        url, data={"effort": "2", "technical_quality": "4", "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    resp = await client.post(url, data={"effort": "5", "technical_quality": "5", "csrf_token": csrf})
    assert resp.status == 409
    assert 'name="effort"' not in await (await client.get(f"/sessions/{session_id}")).text()
    rows = await ballots(app, "rating")
    assert [(r["effort"], r["technical_quality"], r["channel"]) for r in rows] == [(2, 4, "video")]
    assert session_id not in json.dumps(rows)
    other = await new_client()
    await login(other, "kollege")
    other_csrf = csrf_from(await (await other.get("/dashboard")).text())
    assert (
        await other.post(url, data={"effort": "1", "technical_quality": "1", "csrf_token": other_csrf})
    ).status == 404


_ANSWER_TABLES = ("feedback_responses", "caseworker_ratings")
_FORBIDDEN_PARTS = {
    "session",
    "participant",
    "caseworker",
    "user",
    "ip",
    "agent",
    "created",
    "time",
    "at",
    "timestamp",
    "date",
    "token",
}


async def test_schema_of_answers_cannot_link_anyone(app, client) -> None:  # type: ignore[no-untyped-def]
    def inspect_tables(conn):  # type: ignore[no-untyped-def]
        found = {}
        inspector = inspect(conn)
        for table in _ANSWER_TABLES + ("feedback_tokens",):
            found[table] = (
                inspector.get_columns(table),
                inspector.get_pk_constraint(table),
                inspector.get_foreign_keys(table),
            )
        return found

    async with app[ENGINE].connect() as conn:
        tables = await conn.run_sync(inspect_tables)
    for table in _ANSWER_TABLES:
        columns, pk, fks = tables[table]
        for column in columns:
            parts = set(column["name"].lower().split("_"))
            assert not parts & _FORBIDDEN_PARTS, (table, column["name"])
            assert not any(word in column["name"] for word in ("session", "participant", "caseworker", "user", "agent"))
        assert pk["constrained_columns"] == ["id"]
        id_column = next(c for c in columns if c["name"] == "id")
        assert "CHAR" in str(id_column["type"]).upper()  # a random UUID, never a sequence
        assert id_column.get("autoincrement") is not True
        assert fks == []
    if app[ENGINE].dialect.name == "sqlite":  # no hidden insertion-ordered rowid either
        async with app[ENGINE].connect() as conn:
            for table in _ANSWER_TABLES + ("feedback_tokens", "feedback_ballots"):
                sql = await conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table})
                assert "WITHOUT ROWID" in sql.upper(), table
    token_columns = {c["name"] for c in tables["feedback_tokens"][0]}
    assert token_columns == {"token_hash", "benefit_group", "office_id", "channel", "month", "valid_until"}


async def test_concurrent_submits_record_one_response(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    data = {**GOOD, "csrf_token": csrf_from(await open_form(recipient, link))}
    first, second = await asyncio.wait_for(
        asyncio.gather(
            recipient.post("/feedback", data=data, allow_redirects=False),
            recipient.post("/feedback", data=data, allow_redirects=False),
        ),
        timeout=30,
    )
    assert first.status == 303 or second.status == 303
    assert sorted([first.status, second.status]) in ([303, 410], [303, 400])
    assert len(await ballots(app)) == 1


async def test_token_never_reaches_the_logs(app, client, new_client, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    html = await open_form(recipient, link)
    await recipient.post("/feedback", data={**GOOD, "csrf_token": csrf_from(html)})
    assert link.rsplit("/", 1)[1] not in caplog.text
    assert "/feedback/t/[redacted]" in caplog.text


async def test_questionnaire_in_english(app, client, new_client) -> None:  # type: ignore[no-untyped-def]
    recipient, session_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(recipient, session_id)
    assert link
    await open_form(recipient, link)
    html = await (await recipient.get("/feedback?lang=en")).text()
    assert "Would you recommend counselling by video to others?" in html
    assert "Please do not enter any personal data here" in html


async def test_purge_removes_expired_tokens(app, client, new_client, clock) -> None:  # type: ignore[no-untyped-def]
    used, first_id, _ = await ended_session(app, client, new_client)
    link = await feedback_link(used, first_id)
    assert link
    await used.post("/feedback", data={**GOOD, "csrf_token": csrf_from(await open_form(used, link))})
    fresh, second_id, _ = await ended_session(app, client, new_client)
    assert await feedback_link(fresh, second_id)
    assert await count(app, FeedbackTokenRow) == 1  # the used one went at once
    policy = app[POLICY]
    report = await purge(app[DB], policy, clock())
    assert report.deleted["feedback_tokens"] == 0
    report = await purge(app[DB], policy, clock() + timedelta(days=16))
    assert report.deleted["feedback_tokens"] == 1
    assert await count(app, FeedbackTokenRow) == 0 and len(await ballots(app)) == 1
