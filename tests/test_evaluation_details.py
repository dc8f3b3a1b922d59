"""The evaluation's further sections through the real app: known figures on the page, the
same figures in JSON, CSV, XLSX and the command, charts with text alternatives, the print
view, and no suppressed cell given away by any new figure."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
import openpyxl
import pytest

from feedback.comparison import newcombe_difference
from feedback.evaluation import build_evaluation
from feedback.grid_figures import Ballot, build_group_grid
from feedback.grid_report import grid_details, grid_report
from feedback.periods import parse_period
from feedback.questionnaire import Answers
from rooms.check import DeviceClass, Verdict
from rooms.session import BenefitGroup, CounselSession, Outcome
from storage import ballots, checks, sessions, users
from storage.models import CaseworkerRatingRow
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from
from tests.test_evaluation import add_response
from web import i18n
from web.cli import main as cli
from web.keys import DB
from web.views import evaluation as evaluation_view

pytestmark = pytest.mark.usefixtures("database")

# Closed months by the real clock (the command line reads it): the grid shows closed months.
NOW = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
_DETAIL = re.compile(
    r'data-group="(sgb[23])" data-table="([a-z_]+)" data-metric="([a-z_]+)" data-category="([a-z_0-9]*)" '
    r'data-month="([0-9QH-]*|all)" data-estimate="([0-9.\-]*)" data-low="([0-9.\-]*)" data-high="([0-9.\-]*)" '
    r'data-suppressed="(true|false)"'
)
_COMPARISON = re.compile(
    r'data-comparison="([a-z_]+):([a-z_]+)" data-estimate="([0-9.\-]*)" data-low="([0-9.\-]*)" data-high="([0-9.\-]*)"'
)
Key = tuple[str, str, str, str, str]


def four(value: Any) -> str:
    return "" if value is None or value == "" else f"{float(value):.4f}"


def pairs(a: int, b: int, c: int, d: int) -> list[Answers]:
    """a: yes/yes, b: yes/no, c: no/yes, d: don't know to both."""
    make = lambda r, n: Answers(r, n, 4, 4, "smartphone", "no", None)  # noqa: E731
    return (
        [make("yes", "yes")] * a
        + [make("yes", "no")] * b
        + [make("no", "yes")] * c
        + [make("dont_know", "dont_know")] * d
    )


async def add_session(app, group: str, outcome: str, ended: datetime) -> None:  # type: ignore[no-untyped-def]
    session = CounselSession(str(uuid.uuid4()), 1, BenefitGroup(group), "de", str(uuid.uuid4()), ended, office_id=1)
    session.end(Outcome(outcome), ended)
    async with app[DB].begin() as db:
        await sessions.add_session(db, session)
        await sessions.save_session(db, session)


async def add_rating(app, group: str, effort: int, quality: int) -> None:  # type: ignore[no-untyped-def]
    async with app[DB].begin() as db:
        db.add(
            CaseworkerRatingRow(
                id=str(uuid.uuid4()),
                benefit_group=group,
                office_id=1,
                channel="video",
                month="2026-10",
                effort=effort,
                technical_quality=quality,
            )
        )


async def log_in_evaluator(app, client) -> Any:  # type: ignore[no-untyped-def]
    # Answers wait in the ballot box until the mover takes them into the results.
    await ballots.move(app[DB])
    async with app[DB].begin() as db:
        await users.create_user(
            db, TEST_PASSWORDS, "auswertung", PASSWORD, display_name="Eva Luator", role="evaluator", now=NOW
        )
    resp = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"username": "auswertung", "password": PASSWORD, "csrf_token": csrf_from(await resp.text())},
        allow_redirects=False,
    )
    assert resp.status == 303
    return client


@pytest.fixture
async def known(app, client):  # type: ignore[no-untyped-def]
    """SGB II: 40 answers over two months with known pairs; SGB III: 30 answers; sessions,
    caseworker ratings and pre-call checks for both."""
    for answer in pairs(6, 9, 3, 2):
        await add_response(app, "sgb2", answer, month="2026-09")
    for answer in pairs(7, 7, 3, 3):
        await add_response(app, "sgb2", answer, month="2026-10")
    for answer in pairs(15, 5, 5, 5):
        await add_response(app, "sgb3", answer, month="2026-10")
    fallbacks = ["phone"] * 5 + ["in_person"] * 5 + ["technical_failure"] * 5 + ["no_show"] * 5
    for outcome in ["video"] * 6 + fallbacks:
        await add_session(app, "sgb2", outcome, SEPTEMBER)
    for outcome in ["video"] * 5 + ["phone"] * 5:
        await add_session(app, "sgb2", outcome, NOW)
    for outcome in ["video"] * 10 + fallbacks:
        await add_session(app, "sgb3", outcome, NOW)
    for effort, quality, times in ((4, 4, 6), (5, 3, 5), (2, 5, 5)):
        for _ in range(times):
            await add_rating(app, "sgb2", effort, quality)
    async with app[DB].begin() as db:
        for device, verdict, times in (
            (DeviceClass.SMARTPHONE, Verdict.VIDEO, 12),
            (DeviceClass.SMARTPHONE, Verdict.AUDIO_ONLY, 5),
            (DeviceClass.SMARTPHONE, Verdict.NOT_POSSIBLE, 6),
            (DeviceClass.COMPUTER, Verdict.VIDEO, 7),
            (DeviceClass.COMPUTER, Verdict.AUDIO_ONLY, 5),
            (DeviceClass.COMPUTER, Verdict.NOT_POSSIBLE, 5),
            (DeviceClass.TABLET, Verdict.VIDEO, 2),
        ):
            for _ in range(times):
                await checks.record_verdict(db, device, verdict, "sgb2", "2026-10")
    return await log_in_evaluator(app, client)


def page_details(html: str) -> dict[Key, tuple[str, str, str, bool]]:
    found = {}
    for group, table, metric, category, month, estimate, low, high, suppressed in _DETAIL.findall(html):
        found[(group, table, metric, category, month)] = (estimate, low, high, suppressed == "true")
    return found


def page_comparison(html: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {(m, c): (e, lo, hi) for m, c, e, lo, hi in _COMPARISON.findall(html)}


def detail_key(group: str, row: dict[str, Any]) -> Key:
    return (group, row["table"], row["metric"], row["category"] or "", row["period"] or "")


def detail_value(row: dict[str, Any]) -> tuple[str, str, str, bool]:
    suppressed = row["suppressed"] in (True, "True")
    return (four(row["estimate"]), four(row["low"]), four(row["high"]), suppressed)


def comparison_value(row: dict[str, Any]) -> tuple[str, str, str]:
    return (four(row["difference"]), four(row["low"]), four(row["high"]))


async def test_page_shows_the_known_figures_and_every_export_carries_the_same(
    known, settings, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    resp = await known.get("/evaluation")
    assert resp.status == 200
    html = await resp.text()
    details, comparison = page_details(html), page_comparison(html)

    # the comparison: each group's own share, their difference and Newcombe's interval
    expected = newcombe_difference(29, 40, 20, 30)
    assert comparison[("recommend", "yes")] == (four(29 / 40 - 20 / 30), four(expected.low), four(expected.high))
    expected = newcombe_difference(11, 36, 10, 30)
    assert comparison[("outcome", "video")] == (four(11 / 36 - 10 / 30), four(expected.low), four(expected.high))
    # the gap within SGB II: 29 of 40 would recommend, 20 of 40 take the next by video; its
    # paired interval needs the cross-table of both questions, not planned on the grid
    assert details[("sgb2", "gap", "recommend_minus_next", "", "")] == (four(0.25), "", "", False)
    one = json.loads(await (await known.get("/evaluation/export?format=json&group=sgb2")).read())
    assert one["groups"]["sgb2"]["tables"]["gap"][0]["note"] == "interval_withheld"
    # the trend over all months runs by quarter, within a quarter by month; a shown point is
    # the true share (SGB II would recommend: Q3 = September 15 of 20, Q4 = October 14 of 20),
    # a hidden one is a gap (here the grid keeps the categories whole over both months: the
    # small "no" and "don't know" of each month would otherwise hide in every longer period)
    truth = {"2026-Q3": four(15 / 20), "2026-Q4": four(14 / 20), "2026-10": four(14 / 20)}
    trend = {k[4]: v for k, v in details.items() if k[:4] == ("sgb2", "trend", "recommend", "yes")}
    assert set(trend) == {"2026-Q3", "2026-Q4"}
    assert all(v[3] or v[0] == truth[month] for month, v in trend.items())
    quarter = page_details(await (await known.get("/evaluation?period=2026-Q4")).text())
    trend = {k[4]: v for k, v in quarter.items() if k[:4] == ("sgb2", "trend", "recommend", "yes")}
    assert set(trend) == {"2026-10"} and all(v[3] or v[0] == truth[m] for m, v in trend.items())
    # the pre-call checks (all in October) on the grid of all offices x periods: smartphones
    # 23 of 42 checks, 12 of them video; the two tablets hide, and the computers with them
    # (small parts pooled); the quarters hide, as September alone (no checks) would show 0
    equipment = {k[2:]: v for k, v in details.items() if k[:2] == ("sgb2", "equipment")}
    assert {k[2] for k in equipment} == {"all", "2026-Q3", "2026-Q4"}
    assert equipment[("device_class", "smartphone", "all")][::3] == (four(23 / 42), False)
    assert equipment[("smartphone", "video", "all")][::3] == (four(12 / 23), False)
    assert equipment[("device_class", "tablet", "all")][3] and equipment[("device_class", "computer", "all")][3]
    assert all(v[3] for k, v in equipment.items() if k[2] != "all")
    # they carry no office: a single office's page leaves them out
    office = re.search(r'<option value="(\d+)"', html)
    assert office is not None
    single = await (await known.get(f"/evaluation?office={office.group(1)}")).text()
    assert 'id="equipment"' not in single and 'id="equipment"' in html
    # the channels: video 11 of 36 against the band; the caseworkers' effort ratings
    assert details[("sgb2", "channels", "outcome", "video", "")][0] == four(11 / 36)
    assert details[("sgb2", "effort", "effort", "4", "")][0] == four(6 / 16)
    assert "Video-Anteil" in html or "band" in html

    # JSON: the same cells, per group, and the comparison as its own table
    document = json.loads(await (await known.get("/evaluation/export?format=json&group=sgb2&group=sgb3")).read())
    from_json = {
        detail_key(group, row): detail_value(row)
        for group, data in document["groups"].items()
        for rows in data["tables"].values()
        for row in rows
    }
    assert from_json == details
    assert {(r["metric"], r["category"]): comparison_value(r) for r in document["comparison"]} == comparison
    assert set(document["groups"]["sgb2"]["tables"]) == {"gap", "reasons", "equipment", "channels", "effort", "trend"}
    assert document["methods"]["min_cell"] == 5 and "Newcombe" in document["methods"]["difference"]

    # CSV: <group>-details.csv and comparison.csv
    archive = zipfile.ZipFile(
        io.BytesIO(await (await known.get("/evaluation/export?format=csv&group=sgb2&group=sgb3")).read())
    )
    from_csv = {}
    for group in ("sgb2", "sgb3"):
        for row in csv.DictReader(io.StringIO(archive.read(f"{group}-details.csv").decode("utf-8-sig"))):
            from_csv[detail_key(group, row)] = detail_value(row)
    assert from_csv == details
    rows = list(csv.DictReader(io.StringIO(archive.read("comparison.csv").decode("utf-8-sig"))))
    assert {(r["metric"], r["category"]): comparison_value(r) for r in rows} == comparison

    # XLSX: "<group> details" sheets and a "comparison" sheet
    workbook = openpyxl.load_workbook(
        io.BytesIO(await (await known.get("/evaluation/export?format=xlsx&group=sgb2&group=sgb3")).read())
    )
    from_xlsx = {}
    for group in ("sgb2", "sgb3"):
        sheet = list(workbook[f"{group} details"].iter_rows(values_only=True))
        for values in sheet[1:]:
            row = dict(zip(sheet[0], values, strict=True))
            from_xlsx[detail_key(group, row)] = detail_value(row)
    assert from_xlsx == details
    sheet = list(workbook["comparison"].iter_rows(values_only=True))
    from_sheet = [dict(zip(sheet[0], values, strict=True)) for values in sheet[1:]]
    assert {(r["metric"], r["category"]): comparison_value(r) for r in from_sheet} == comparison

    # the command: one group with its tables, or the comparison alone
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    out = tmp_path / "sgb2.json"
    assert await asyncio.to_thread(cli, ["export", "--group", "sgb2", "--format", "json", "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    assert list(document["groups"]) == ["sgb2"] and document["comparison"] == []  # one group: nothing to compare
    from_cli = {
        detail_key("sgb2", row): detail_value(row) for t in document["groups"]["sgb2"]["tables"].values() for row in t
    }
    assert from_cli == {k: v for k, v in details.items() if k[0] == "sgb2"}
    out = tmp_path / "comparison.json"
    assert await asyncio.to_thread(cli, ["export", "--comparison", "--format", "json", "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    assert "groups" not in document
    assert {(r["metric"], r["category"]): comparison_value(r) for r in document["comparison"]} == comparison
    assert await asyncio.to_thread(cli, ["export", "--comparison", "--group", "sgb2", "--format", "json"]) == 2


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg class=\"chart\".*?</svg>", html, re.S)]


async def test_charts_have_titles_text_alternatives_and_their_tables(known) -> None:  # type: ignore[no-untyped-def]
    html = await (await known.get("/evaluation")).text()
    ns = "{http://www.w3.org/2000/svg}"
    charts = _svgs(html)
    ids = {c.get("id") for c in charts}
    assert {"chart-equipment", "chart-seed", "chart-comparison", "chart-gap", "chart-channels", "chart-effort"} <= ids
    assert {"chart-trend-recommend", "chart-trend-next-by-video", "chart-trend-video-share"} <= ids
    for chart in charts:
        assert chart.get("role") == "img"
        title, desc = chart.find(f"{ns}title"), chart.find(f"{ns}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert chart.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    channels = next(c for c in charts if c.get("id") == "chart-channels")
    assert channels.find(f".//{ns}rect[@class='band']") is not None
    assert "SGB II" in (channels.find(f"{ns}desc").text or "")  # type: ignore[union-attr]
    # every scrolling table is a labelled, focusable region
    wraps = re.findall(r'<div class="table-wrap"([^>]*)>', html)
    assert wraps and all('tabindex="0"' in w and 'role="region"' in w and "aria-label=" in w for w in wraps)
    assert len(wraps) == html.count("<table")
    # no pooled figure: no column for both groups together
    headers = set(re.findall(r'<th scope="col">([^<]*)</th>', html))
    assert not [h for h in headers if re.search(r"(?i)\b(gesamt|insgesamt|total|beide|zusammen|alle)\b", h)]


async def test_print_view_per_office_and_period(known) -> None:  # type: ignore[no-untyped-def]
    resp = await known.get("/evaluation/print?office=1&period=2026-Q4")
    assert resp.status == 200
    html = await resp.text()
    assert "Jobcenter" in html and "4. Quartal 2026" in html and 'data-print="evaluation"' in html
    details = page_details(html)
    # September is outside the period: the trend runs over the quarter's months
    assert {k[4] for k in details if k[4]} == {"2026-10"}
    assert len(_svgs(html)) >= 7
    for bad in ("2026-13", "2026-09-01", "2026-09..2026-10"):
        assert (await known.get(f"/evaluation/print?period={bad}")).status == 400


async def test_no_new_figure_gives_a_suppressed_cell_away(app, client) -> None:  # type: ignore[no-untyped-def]
    for answer in pairs(6, 9, 3, 2):
        await add_response(app, "sgb2", answer)
    for answer in pairs(3, 0, 0, 0):  # three SGB III answers: nothing of theirs may show
        await add_response(app, "sgb3", answer)
    await log_in_evaluator(app, client)
    html = await (await client.get("/evaluation")).text()
    comparison = page_comparison(html)
    assert comparison and all(value == ("", "", "") for value in comparison.values())
    details = page_details(html)
    assert details[("sgb3", "gap", "recommend_minus_next", "", "")] == ("", "", "", True)
    # SGB II: 2 answered "don't know" to both: the paired interval would reveal it
    gap = details[("sgb2", "gap", "recommend_minus_next", "", "")]
    assert gap[0] == four(15 / 20 - 9 / 20) and gap[1:3] == ("", "")
    assert all(v == ("", "", "", True) for k, v in details.items() if k[0] == "sgb3")
    document = json.loads(await (await client.get("/evaluation/export?format=json&group=sgb2&group=sgb3")).read())
    for row in document["comparison"]:
        assert row["suppressed"] and all(row[k] is None for k in row if k not in ("metric", "category", "suppressed"))
    for data in document["groups"].values():
        for rows in data["tables"].values():
            for row in rows:
                if row["suppressed"]:
                    assert all(row[k] is None for k in ("n", "count", "estimate", "low", "high"))


@pytest.mark.browser
@pytest.mark.timeout(120)
async def test_evaluation_page_and_print_view_pass_axe(known, server, browser, sqlite_only) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.async_playwright import Axe

    base = str(server.make_url("")).rstrip("/")
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{base}/login")
    await page.fill("#username", "auswertung")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/evaluation")
    for path in ("/evaluation", "/evaluation/print?office=1"):
        await page.goto(f"{base}{path}")
        results = await Axe().run(page)
        violations = [(v["id"], len(v["nodes"])) for v in results.response["violations"]]
        assert violations == [], (path, violations)


def test_reasons_render_as_chart_and_table_when_answers_carry_them(app) -> None:  # type: ignore[no-untyped-def]
    def answer(why: str | None) -> Ballot:
        gap = why is not None  # would recommend, but not next time by video: asked why
        answers = Answers("yes", "no" if gap else "yes", 4, 4, "smartphone", "no", None, why_not_video=why)
        return Ballot(1, "2026-10", "video", "2", answers)

    reasons = {"prefer_in_person": 12, "documents": 8, "no_device": 5, "technical": 2, "no_private_place": 2}
    generated = [answer(why) for why, times in {**reasons, "data_costs": 1}.items() for _ in range(times)]
    generated += [answer(None)] * 5  # no gap: not asked
    grids = [
        build_group_grid(g, generated if g == "sgb2" else [], [1], ("2026-10",), version="2", offers={}, sessions=[])
        for g in ("sgb2", "sgb3")
    ]
    period = parse_period("2026-Q4")
    reports = [grid_report(grid, 1, period) for grid in grids]
    result = build_evaluation(reports, [grid_details(g, r, 1, period) for g, r in zip(grids, reports, strict=True)])
    i18n.use_language("de")
    context = {
        **evaluation_view._detail_context(result, period),
        "metric_labels": evaluation_view.METRIC_LABELS,
        "category_labels": evaluation_view.CATEGORY_LABELS,
    }
    html = aiohttp_jinja2.get_env(app).get_template("evaluation/details.html").render(context)
    cells = page_details(html)
    # 30 gave a reason: the 35 respondents less the 5 not asked (both shown)
    assert cells[("sgb2", "reasons", "reason", "prefer_in_person", "")][0] == four(12 / 30)
    assert cells[("sgb2", "reasons", "reason", "no_device", "")][0] == four(5 / 30)
    # 2 + 2 + 1 + 0 answers are hidden together: at least 5, so nothing else must go
    for small in ("technical_problems", "no_private_place", "data_costs", "other"):
        assert cells[("sgb2", "reasons", "reason", small, "")] == ("", "", "", True)
    assert "spricht lieber persönlich" in html and 'id="chart-reasons"' in html
    # SGB III has no answers: every reason of its column is hidden, none borrowed
    assert all(v[3] for k, v in cells.items() if k[0] == "sgb3" and k[1] == "reasons")
