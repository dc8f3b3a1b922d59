"""Disclosure probe: random data, every page and export, and an attacker who subtracts.

For each generated data set the evaluator's page and the JSON, CSV and XLSX exports are
fetched through the real app for both questionnaire versions. The probe then tries what
the issue names: recover a suppressed cell from the published totals and the other cells
of its table, recover "not asked / keine Angabe" from a mean's n and the respondents,
read a unanimous answer off a mean, and find a record in the record-level export whose
office x month x channel x device is shared by fewer than 5 rows.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
import zipfile
from collections import Counter, defaultdict
from typing import Any

import openpyxl
import pytest
from sqlalchemy import delete

from feedback.export import QUASI_IDENTIFIERS
from feedback.questionnaire import NO_ANSWER, WHY_NOT_VIDEO
from storage import users
from storage.models import FeedbackOfferCountRow, FeedbackResponseRow
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from
from web.keys import DB

pytestmark = [pytest.mark.usefixtures("sqlite_only"), pytest.mark.timeout(300)]

K = 5
MEANS = {"satisfaction": "satisfaction", "technical_quality": "technical_quality"}
ANSWER_DISTRIBUTIONS = ("recommend", "next_by_video", "why_not_video", "why_not_recommend", "device", "setup_help")
_GROUPS = ("sgb2", "sgb3")
_REASONS = [v for v, _l in WHY_NOT_VIDEO] + [NO_ANSWER]


def _answer(rng: random.Random, version: str, channel: str) -> dict[str, Any]:
    na = [NO_ANSWER] if version == "2" else []

    def scale(skew: int) -> int | None:
        if version == "2" and rng.random() < 0.1:
            return None
        return min(5, max(1, skew + rng.choice([-1, 0, 0, 0, 1])))

    recommend = rng.choice(["yes"] * 6 + ["no", "dont_know"] + na)
    next_time = rng.choice(["yes", "no", "no", "dont_know"] + na)
    why = rng.choice(_REASONS) if version == "2" and recommend == "yes" and next_time == "no" else None
    why_not = rng.choice(_REASONS) if version == "2" and recommend == "no" and next_time == "yes" else None
    return {
        "recommend": recommend,
        "next_by_video": next_time,
        "why_not_video": why,
        "why_not_recommend": why_not,
        # A skewed, sometimes unanimous scale: the dominance rule must catch it.
        "satisfaction": scale(rng.choice([5, 5, 4])),
        "technical_quality": scale(4) if channel == "video" else None,
        "device": rng.choice(["smartphone", "smartphone", "computer", "tablet"] + na),
        "setup_help": rng.choice(["no", "no", "yes"] + na),
        "comment": None,
    }


async def _generate(app: Any, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for group in _GROUPS:
        for version in ("1", "2"):
            for _ in range(rng.choice([0, 3, 6, 7, 12, 25])):
                channel = rng.choice(["video"] * 5 + ["phone", "in_person"])
                office = rng.choice([1, 1, 2])
                month = rng.choice(["2026-09", "2026-10"])  # closed months: the grid shows no other
                row = {
                    "id": str(uuid.uuid4()),
                    "benefit_group": group,
                    "office_id": office,
                    "channel": channel,
                    "month": month,
                    "questionnaire_version": version,
                    **_answer(rng, version, channel),
                }
                rows.append(row)
    async with app[DB].begin() as db:
        await db.execute(delete(FeedbackResponseRow))
        await db.execute(delete(FeedbackOfferCountRow))
        for row in rows:
            db.add(FeedbackResponseRow(**row))
        answered = Counter((r["benefit_group"], r["channel"], r["office_id"], r["month"]) for r in rows)
        for (group, channel, office, month), n in answered.items():
            db.add(
                FeedbackOfferCountRow(
                    benefit_group=group, channel=channel, office_key=office, month=month, offers=n + rng.randint(0, 9)
                )
            )
    return rows


def _recoverable(document: dict[str, Any], answered_all_versions: dict[str, int | None]) -> list[str]:
    """Every published cell an attacker can pin down by subtraction, or a mean that leaks."""
    found = []
    for group, data in document["groups"].items():
        respondents = data["respondents"]
        by_metric: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for figure in data["figures"]:
            by_metric[figure["metric"]].append(figure)
        for metric, figures in by_metric.items():
            if metric in MEANS or metric.startswith("rating_"):
                for f in figures:
                    if f["suppressed"]:
                        continue
                    if respondents is not None and metric in MEANS and 0 < respondents - f["n"] < K:
                        found.append(f"{group} {metric}: n {f['n']} next to {respondents} respondents")
                    if f["low"] == f["high"]:
                        found.append(f"{group} {metric}: a mean without spread")
                continue
            if metric == "recommend_minus_next":
                continue
            if metric in ANSWER_DISTRIBUTIONS:
                total = respondents
            elif metric == "response_rate":
                total = answered_all_versions[group]
            else:  # outcomes: every visible cell carries the total as n
                total = next((f["n"] for f in figures if not f["suppressed"]), None)
            hidden = [f for f in figures if f["suppressed"]]
            if not hidden or total is None:
                continue
            rest = total - sum(f["count"] for f in figures if not f["suppressed"])
            if len(hidden) == 1 or rest < K:
                found.append(f"{group} {metric}: {len(hidden)} hidden cell(s) holding {rest}")
    return found


async def test_no_suppressed_cell_is_recoverable_anywhere(app, client, clock) -> None:  # type: ignore[no-untyped-def]
    async with app[DB].begin() as db:
        await users.create_user(
            db, TEST_PASSWORDS, "auswertung", PASSWORD, display_name="Eva Luator", role="evaluator", now=clock()
        )
    page = await client.get("/login")
    resp = await client.post(
        "/login",
        data={"username": "auswertung", "password": PASSWORD, "csrf_token": csrf_from(await page.text())},
        allow_redirects=False,
    )
    assert resp.status == 303
    problems: list[str] = []
    checked = shown_means = shown_figures = 0
    for seed in range(8):
        rng = random.Random(seed)
        rows = await _generate(app, rng)
        for filters in ("", "&office=1", "&period=2026-10"):
            documents = {}
            for version in ("1", "2"):
                query = f"group=sgb2&group=sgb3&version={version}{filters}"
                assert (await client.get(f"/evaluation?version={version}{filters}")).status == 200
                resp = await client.get(f"/evaluation/export?format=json&{query}")
                documents[version] = json.loads(await resp.read())
                # CSV and XLSX carry the same figures as JSON (checked cell by cell elsewhere);
                # here: the same suppression flags.
                csv_zip = zipfile.ZipFile(
                    io.BytesIO(await (await client.get(f"/evaluation/export?format=csv&{query}")).read())
                )
                for group in _GROUPS:
                    flags = [
                        r["suppressed"] == "True"
                        for r in csv.DictReader(io.StringIO(csv_zip.read(f"{group}.csv").decode("utf-8-sig")))
                    ]
                    assert flags == [f["suppressed"] for f in documents[version]["groups"][group]["figures"]]
                book = openpyxl.load_workbook(
                    io.BytesIO(await (await client.get(f"/evaluation/export?format=xlsx&{query}")).read())
                )
                for group in _GROUPS:
                    values = list(book[group].iter_rows(values_only=True))
                    column = values[0].index("suppressed")
                    assert [bool(v[column]) for v in values[1:]] == [
                        f["suppressed"] for f in documents[version]["groups"][group]["figures"]
                    ]
            # The response-rate table counts every version: its total is the sum of both.
            answered: dict[str, int | None] = {}
            for group in _GROUPS:
                parts = [documents[v]["groups"][group]["respondents"] for v in ("1", "2")]
                answered[group] = None if None in parts else sum(p for p in parts if p is not None)
            for version, document in documents.items():
                problems += [f"seed {seed}{filters} v{version}: {p}" for p in _recoverable(document, answered)]
                checked += 1
                shown_figures += sum(
                    not f["suppressed"] for data in document["groups"].values() for f in data["figures"]
                )
                # Dominance, against the truth: a shown mean has >= 5 values off its mode.
                for group in _GROUPS:
                    truth = [
                        r
                        for r in rows
                        if r["benefit_group"] == group
                        and r["questionnaire_version"] == version
                        and ("office=1" not in filters or r["office_id"] == 1)
                        and ("period=" not in filters or r["month"] == "2026-10")
                    ]
                    for metric in MEANS:
                        figure = next(f for f in document["groups"][group]["figures"] if f["metric"] == metric)
                        if figure["suppressed"]:
                            continue
                        shown_means += 1
                        values = [r[metric] for r in truth if r[metric] is not None]
                        assert len(values) - max(Counter(values).values()) >= K, (seed, filters, group, metric)
            # The record-level export: k-anonymous over office, month, channel and device.
            for group in _GROUPS:
                office = "&office=1" if "office" in filters else ""  # the record-level export takes no period
                resp = await client.get(f"/evaluation/export?format=json&group={group}&responses=1{office}")
                if resp.status == 400:
                    continue
                records = json.loads(await resp.read())["responses"]
                classes = Counter(tuple(r[q] or "" for q in QUASI_IDENTIFIERS) for r in records)
                assert min(classes.values()) >= K, (seed, filters, group)
                assert all(r["why_not_video"] != NO_ANSWER and r["device"] != NO_ANSWER for r in records)
    assert problems == []
    # The probe looked at real, partly published data. A mean is shown only where every step
    # of its scale is (``feedback.grid_figures.mean_figure``): on these small, skewed samples
    # none is, so the dominance check above guards what a larger sample would show.
    assert checked == 8 * 3 * 2 and shown_figures > 0


def test_the_probe_finds_what_the_issue_found() -> None:
    """The probe itself: the leaks reported in the issue are found."""

    def fig(metric: str, category: str, n: int | None, count: int | None, low: float | None = None,
            high: float | None = None) -> dict[str, Any]:  # fmt: skip
        return {
            "metric": metric, "category": category, "n": n, "count": count, "estimate": 0.5,
            "low": low, "high": high, "suppressed": n is None,
        }  # fmt: skip

    leaky = {
        "groups": {
            "sgb2": {
                "respondents": 7,
                "figures": [
                    # "respondents 7" minus "n for picture and sound 6"
                    fig("technical_quality", "", 6, None, 3.0, 4.5),
                    # "1,00 [1,00–1,00] · n = 6": a unanimous mean
                    fig("satisfaction", "", 7, None, 1.0, 1.0),
                    # one hidden cell next to the total
                    fig("device", "smartphone", 7, 6),
                    fig("device", "tablet", None, None),
                ],
            }
        }
    }
    assert len(_recoverable(leaky, {"sgb2": 7})) == 3
