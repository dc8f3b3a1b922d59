"""The evaluator's page and exports through the real app: groups apart, small cells hidden."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest

from feedback.questionnaire import Answers
from feedback.tokens import FeedbackContext, new_token
from rooms.session import BenefitGroup, CounselSession, Outcome
from storage import ballots, sessions, users
from storage.models import FeedbackTokenRow
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from, login
from web.cli import main as cli
from web.keys import DB

pytestmark = pytest.mark.usefixtures("database")

# A closed month (``feedback.periods.closed_through``) by the real clock, which the
# command line reads: the grid publishes closed months only.
NOW = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)
_CELL = re.compile(
    r'data-group="(sgb[23])" data-metric="([a-z_]+)" data-category="([a-z_]*)" data-estimate="([0-9.\-]*)"'
)


async def add_response(app, group: str, answers: Answers, month: str = "2026-10", channel: str = "video") -> None:  # type: ignore[no-untyped-def]
    """Store one answer the way the form does: mint a token, then use it up (into the ballot box)."""
    token, digest = new_token()
    context = FeedbackContext(group, 1, channel, month)
    async with app[DB].begin() as db:
        db.add(
            FeedbackTokenRow(
                token_hash=digest,
                benefit_group=group,
                office_id=context.office_id,
                channel=channel,
                month=month,
                valid_until=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
    async with app[DB].begin() as db:
        await ballots.submit_response(db, token, answers, NOW)


async def add_ended_session(app, group: str, outcome: str) -> None:  # type: ignore[no-untyped-def]
    session = CounselSession(str(uuid.uuid4()), 1, BenefitGroup(group), "de", str(uuid.uuid4()), NOW, office_id=1)
    session.end(Outcome(outcome), NOW)
    async with app[DB].begin() as db:
        await sessions.add_session(db, session)
        await sessions.save_session(db, session)


def answers(recommend: str, next_by_video: str, device: str, satisfaction: int) -> Answers:
    return Answers(recommend, next_by_video, satisfaction, 4, device, "no", None)


@pytest.fixture
async def seeded(app, client):  # type: ignore[no-untyped-def]
    """SGB II: 15 answers, enough to show most cells; SGB III: 3 answers, nothing shown."""
    async with app[DB].begin() as db:
        await users.create_user(
            db, TEST_PASSWORDS, "auswertung", PASSWORD, display_name="Eva Luator", role="evaluator", now=NOW
        )
    for _ in range(5):
        await add_response(app, "sgb2", answers("yes", "yes", "smartphone", 5))
        await add_response(app, "sgb2", answers("yes", "no", "computer", 3))
        await add_response(app, "sgb2", answers("no", "dont_know", "tablet", 4))
    for _ in range(3):
        await add_response(app, "sgb3", answers("yes", "yes", "computer", 5))
    for outcome in ["video"] * 6 + ["phone"] * 5:
        await add_ended_session(app, "sgb2", outcome)
    assert (await ballots.move(app[DB])).moved["response"] == 18
    resp = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"username": "auswertung", "password": PASSWORD, "csrf_token": csrf_from(await resp.text())},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/evaluation"
    return client


def page_cells(html: str) -> dict[tuple[str, str, str], str]:
    return {(g, m, c): e for g, m, c, e in _CELL.findall(html)}


async def test_page_shows_both_groups_apart_and_hides_small_cells(seeded) -> None:  # type: ignore[no-untyped-def]
    resp = await seeded.get("/evaluation")
    assert resp.status == 200
    html = await resp.text()
    cells = page_cells(html)
    assert {g for g, _m, _c in cells} == {"sgb2", "sgb3"}
    # every column is one group (or a difference SGB II − SGB III): no pooled or total column anywhere
    headers = set(re.findall(r'<th scope="col">([^<]*)</th>', html))
    assert {"Antwort", "SGB II", "SGB III"} <= headers
    assert not [h for h in headers if re.search(r"(?i)\b(gesamt|insgesamt|total|beide|zusammen|alle)\b", h)]
    assert cells[("sgb2", "recommend", "yes")] == "0.6667"
    assert cells[("sgb2", "next_by_video", "yes")] == "0.3333"
    assert cells[("sgb2", "recommend_minus_next", "")] == "0.3333"
    # a mean is shown only where every step of its scale is: nobody answered 1 or 2 here
    assert cells[("sgb2", "satisfaction", "")] == ""
    assert "66,7 %" in html and "<svg" in html
    # the complementary cell: "don't know" is 0, so "no" (5) would follow from the total
    assert cells[("sgb2", "recommend", "no")] == "" and cells[("sgb2", "recommend", "dont_know")] == ""
    assert cells[("sgb2", "outcome", "video")] == "0.5455"
    assert all(value == "" for (g, _m, _c), value in cells.items() if g == "sgb3")


async def test_evaluation_is_for_evaluators_only(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    assert (await client.get("/evaluation")).status == 403
    assert (await client.get("/evaluation/export?format=json&group=sgb2")).status == 403


async def test_exports_round_trip_to_the_page_figures(seeded) -> None:  # type: ignore[no-untyped-def]
    cells = page_cells(await (await seeded.get("/evaluation")).text())
    query = "group=sgb2&group=sgb3"
    resp = await seeded.get(f"/evaluation/export?format=json&{query}")
    assert resp.status == 200 and resp.content_type == "application/json"
    document = json.loads(await resp.read())
    assert set(document["groups"]) == {"sgb2", "sgb3"}
    from_json = {}
    for group, data in document["groups"].items():
        for row in data["figures"]:
            from_json[(group, row["metric"], row["category"])] = "" if row["suppressed"] else f"{row['estimate']:.4f}"
    assert from_json == cells
    assert document["groups"]["sgb3"]["respondents"] is None

    resp = await seeded.get(f"/evaluation/export?format=csv&{query}")
    assert resp.headers["Content-Disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(await resp.read())) as archive:
        assert sorted(archive.namelist()) == [
            "comparison.csv",
            "sgb2-details.csv",
            "sgb2.csv",
            "sgb3-details.csv",
            "sgb3.csv",
        ]
        for name in ("sgb2.csv", "sgb3.csv"):
            group = name.removesuffix(".csv")
            rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for row in rows:
                value = "" if row["suppressed"] == "True" else f"{float(row['estimate']):.4f}"
                assert value == cells[(group, row["metric"], row["category"])]

    resp = await seeded.get(f"/evaluation/export?format=xlsx&{query}")
    workbook = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    assert workbook.sheetnames == ["sgb2", "sgb3", "sgb2 details", "sgb3 details", "comparison"]
    for group in ("sgb2", "sgb3"):
        rows = list(workbook[group].iter_rows(values_only=True))
        header = rows[0]
        for values in rows[1:]:
            row = dict(zip(header, values, strict=True))
            value = "" if row["suppressed"] else f"{row['estimate']:.4f}"
            assert value == cells[(group, row["metric"], row["category"] or "")]


async def test_pooled_requests_are_refused(seeded) -> None:  # type: ignore[no-untyped-def]
    for query in (
        "format=csv",
        "format=csv&group=both",
        "format=xlsx&group=sgb2&group=sgb2",
        "format=csv&group=sgb2&group=sgb3&responses=1",
    ):
        resp = await seeded.get(f"/evaluation/export?{query}")
        assert resp.status == 400, query
        assert "nie zusammengefasst" in await resp.text()
    resp = await seeded.get("/evaluation/export?format=json")
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "pooled"
    assert (await seeded.get("/evaluation/export?format=pdf&group=sgb2")).status == 400
    for period in ("2026-13", "2026-07..2026-09", "2026-10-01", "ALL"):
        resp = await seeded.get(f"/evaluation?period={period}")
        assert resp.status == 400, period
        assert "Diesen Zeitraum gibt es im Raster nicht" in await resp.text()
        resp = await seeded.get(f"/evaluation/export?format=json&group=sgb2&period={period}")
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_period"
    # the record-level export takes no period: every record names its month
    assert (await seeded.get("/evaluation/export?format=json&group=sgb2&responses=1&period=2026-Q4")).status == 400


async def test_responses_of_one_group_in_random_order(seeded) -> None:  # type: ignore[no-untyped-def]
    resp = await seeded.get("/evaluation/export?format=json&group=sgb2&responses=1")
    document = json.loads(await resp.read())
    assert document["group"] == "sgb2" and len(document["responses"]) == 15
    assert set(document["responses"][0]) == {
        "office",
        "month",
        "channel",
        "questionnaire_version",
        "recommend",
        "next_by_video",
        "why_not_video",
        "why_not_recommend",
        "satisfaction",
        "technical_quality",
        "device",
        "setup_help",
        "comment",
    }
    resp = await seeded.get("/evaluation/export?format=json&group=sgb3&responses=1")
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "too_few_answers"


async def test_filters_narrow_the_figures(seeded, app) -> None:  # type: ignore[no-untyped-def]
    html = await (await seeded.get("/evaluation?period=2026-09")).text()
    assert all(value == "" for value in page_cells(html).values())
    for period in ("2026-10", "2026-Q4", "2026-H2", "2026", "all"):
        html = await (await seeded.get(f"/evaluation?period={period}&office=1")).text()
        assert page_cells(html)[("sgb2", "recommend", "yes")] == "0.6667", period
    # the choices are the grid's periods, in words; the one shown is selected
    html = await (await seeded.get("/evaluation?period=2026-Q4")).text()
    assert '<option value="2026-Q4" selected>4. Quartal 2026</option>' in html
    assert '<option value="2026-10" >Oktober 2026</option>' in html and '<option value="2026-H2" >' in html


async def test_cli_export_refuses_pooling_and_writes_one_group(seeded, settings, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    # the command runs its own event loop, as it does from a shell
    assert await asyncio.to_thread(cli, ["export", "--format", "json"]) == 2
    assert await asyncio.to_thread(cli, ["export", "--group", "both", "--format", "json"]) == 2
    out = tmp_path / "sgb2.json"
    assert await asyncio.to_thread(cli, ["export", "--group", "sgb2", "--format", "json", "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    assert list(document["groups"]) == ["sgb2"]
    cells = page_cells(await (await seeded.get("/evaluation")).text())
    for row in document["groups"]["sgb2"]["figures"]:
        assert ("" if row["suppressed"] else f"{row['estimate']:.4f}") == cells[
            ("sgb2", row["metric"], row["category"])
        ]
    quarter = tmp_path / "q4.json"
    args = ["export", "--group", "sgb2", "--format", "json", "--period", "2026-Q4", "--output", str(quarter)]
    assert await asyncio.to_thread(cli, args) == 0
    assert json.loads(quarter.read_text())["filters"] == {"office": None, "period": "2026-Q4"}
    capsys.readouterr()
    for period in ("2026-07..2026-09", "2026-10-01", "Q4"):
        args = ["export", "--group", "sgb2", "--format", "json", "--period", period]
        assert await asyncio.to_thread(cli, args) == 2
        assert capsys.readouterr().err.strip() == "--period: 2026-07, 2026-Q3, 2026-H2, 2026 or all"
    xlsx = tmp_path / "sgb3.xlsx"
    assert await asyncio.to_thread(cli, ["export", "--group", "sgb3", "--format", "xlsx", "--output", str(xlsx)]) == 0
    assert openpyxl.load_workbook(xlsx).sheetnames == ["sgb3", "sgb3 details"]
