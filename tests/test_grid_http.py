"""Differencing across requests, through the real app: the grid's probe over the JSON export.

Skewed answers (one large office, one middling, one tiny) over thirteen closed months are
stored in a real database (SQLite and PostgreSQL). The evaluator then asks the export for
every cell an evaluator can ask for: each office and all offices x every month, quarter,
half-year, year and ``all``. ``tests.grid_probe.recovered`` solves the published counts
and n's as one linear system and must find no hidden cell that follows from the shown
ones: neither "all offices minus one office" nor "the year minus a quarter" nor any
combination recovers anything. The same holds for the equipment table of the pre-call
checks (all offices only: verdicts x periods by device class).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from feedback.equipment import DEVICES, VERDICTS
from feedback.periods import Period, closed_through, month_span, periods_of
from rooms.check import DeviceClass, Verdict
from storage import checks, users
from storage.models import FeedbackResponseRow, Office
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from
from tests.grid_probe import recovered
from web.keys import DB, REPORTING

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.timeout(300)]

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)  # November 2026 has closed
CATEGORIES = ("yes", "no", "dont_know", "no_answer")


def _answers(rng: random.Random) -> dict[str, Any]:
    recommend = rng.choices(CATEGORIES, (6, 2, 1, 0.4))[0]
    return {
        "recommend": recommend,
        "next_by_video": rng.choice(["yes", "no"]),
        "satisfaction": rng.choice([5, 5, 4]),
        "technical_quality": 4,
        "device": "smartphone",
        "setup_help": "no",
        "comment": None,
    }


async def _store(app: Any, rng: random.Random, calendar: tuple[str, ...]) -> list[int]:
    async with app[DB].begin() as db:
        for name in ("Amt Nord", "Amt Klein"):
            db.add(Office(name=name, address=""))
    async with app[DB].begin() as db:
        offices = sorted(int(i) for i in await db.scalars(select(Office.id)))
        sizes = dict(zip(offices, [12.0, 5.0, 0.4] + [0.0] * len(offices), strict=False))
        for office in offices:
            for month in calendar:
                for _ in range(int(rng.expovariate(1 / sizes[office])) if sizes[office] else 0):
                    db.add(
                        FeedbackResponseRow(
                            id=str(uuid.uuid4()),
                            benefit_group="sgb2",
                            office_id=office,
                            channel="video",
                            month=month,
                            questionnaire_version="2",
                            **_answers(rng),
                        )
                    )
    async with app[DB].begin() as db:  # pre-call checks: no office, skewed device classes
        for month in calendar:
            for _ in range(int(rng.expovariate(1 / 9))):
                device = rng.choices(DEVICES, (10, 1, 4))[0]
                verdict = rng.choices(VERDICTS, (8, 2, 1))[0]
                await checks.record_verdict(db, DeviceClass(device), Verdict(verdict), "sgb2", month)
    return offices


async def test_no_two_requests_recover_a_hidden_cell(app, client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = NOW
    calendar = month_span("2025-11", closed_through(NOW))
    offices = await _store(app, random.Random(29), calendar)
    async with app[DB].begin() as db:
        await users.create_user(
            db, TEST_PASSWORDS, "auswertung", PASSWORD, display_name="Eva Luator", role="evaluator", now=NOW
        )
    page = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"username": "auswertung", "password": PASSWORD, "csrf_token": csrf_from(await page.text())},
        allow_redirects=False,
    )
    assert resp.status == 303

    published: dict[tuple[int | None, str], dict[str, int | None]] = {}
    equipment: dict[tuple[int | None, str, str], int | None] = {}  # (verdict, period, device)
    for office in (*offices, None):
        for period in periods_of(calendar):
            query = f"format=json&group=sgb2&version=2&period={period.key}" + (f"&office={office}" if office else "")
            resp = await client.get(f"/evaluation/export?{query}")
            assert resp.status == 200, query
            document = json.loads(await resp.read())
            assert document["filters"]["period"] == period.key
            data = document["groups"]["sgb2"]
            cell = {f["category"]: f["count"] for f in data["figures"] if f["metric"] == "recommend"}
            published[(office, period.key)] = {"": data["respondents"], **cell}
            rows = [r for r in data["tables"]["equipment"] if r["period"] == period.key]
            assert bool(rows) == (office is None)  # the checks carry no office: all offices only
            for row in rows:
                if row["metric"] == "device_class":
                    equipment[(None, period.key, row["category"])] = row["count"]
                    equipment[(None, period.key, "")] = equipment.get((None, period.key, "")) or row["n"]
                else:
                    equipment[(VERDICTS.index(row["category"]) + 1, period.key, row["metric"])] = row["count"]

    def publish(office: int | None, period: Period, category: str) -> int | None:
        return published[(office, period.key)][category]

    shown = [v for cell in published.values() for v in cell.values() if v is not None]
    hidden = [v for cell in published.values() for v in cell.values() if v is None]
    assert shown and hidden  # the data hide some cells and show others
    assert recovered(publish, offices, calendar, CATEGORIES) == []
    # the equipment table: verdicts x periods by device class, solved the same way; one
    # verdict over all device classes is never published, so it is no leak
    assert [v for v in equipment.values() if v is not None] and None in equipment.values()
    leaks = recovered(lambda v, p, d: equipment.get((v, p.key, d)), [1, 2, 3], calendar, DEVICES)
    assert [c for c in leaks if c[0] is None or (c[0], c[1].key, c[2]) in equipment] == []
    # every request read the one plan of the group (planned once per version, not per request)
    assert app[REPORTING].plans == 1
