"""Exports of the evaluation: CSV (one file per group, zipped), XLSX (one sheet per group), JSON.

Every file, sheet or object holds exactly one group, except the comparison, which holds
only differences SGB II − SGB III; suppressed cells stay empty and are flagged. A group's
anonymous responses can be exported too, in random order.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from openpyxl import Workbook

from feedback.cells import CELL_COLUMNS, cell_row
from feedback.comparison import COMPARISON_COLUMNS, difference_row
from feedback.evaluation import Evaluation
from feedback.questionnaire import NO_ANSWER, NOT_ASKED, VERSION, Answers
from feedback.report import GroupReport
from feedback.suppression import MIN_CELL

__all__ = [
    "FORMATS",
    "FIGURE_COLUMNS",
    "RESPONSE_COLUMNS",
    "figure_rows",
    "response_rows",
    "ResponseRecord",
    "QUASI_IDENTIFIERS",
    "anonymous_rows",
    "export_reports",
    "export_responses",
    "export_comparison",
    "content_type",
    "file_name",
]

FORMATS = ("csv", "xlsx", "json")
FIGURE_COLUMNS = ("metric", "category", "n", "count", "estimate", "low", "high", "suppressed")
_CONTEXT_COLUMNS = ("office", "month", "channel", "questionnaire_version")
RESPONSE_COLUMNS = (
    *_CONTEXT_COLUMNS,
    "recommend",
    "next_by_video",
    "why_not_video",
    "why_not_recommend",
    "satisfaction",
    "technical_quality",
    "device",
    "setup_help",
    "comment",
)
# Generalised (blanked) in this order until every combination is shared by >= k rows.
QUASI_IDENTIFIERS = ("device", "channel", "month", "office")
# Blanked where "not asked" or "keine Angabe"; the context, the device and the comment are set apart.
_ANSWER_FIELDS = tuple(c for c in RESPONSE_COLUMNS if c not in (*_CONTEXT_COLUMNS, "device", "comment"))

# What the JSON says about how its figures were made (see docs/evaluation.md).
METHODS = {
    "confidence": 0.95,
    "share": "Wilson 1927 score interval",
    "mean": "Student t interval",
    "difference": "Newcombe 1998a method 10 (hybrid score), SGB II minus SGB III",
    "paired_difference": "Newcombe 1998b method 10, recommend minus next by video",
    "min_cell": MIN_CELL,
}
_TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def figure_rows(report: GroupReport) -> list[dict[str, Any]]:
    rows = []
    for figure in report.figures:
        row = asdict(figure)
        for key in ("estimate", "low", "high"):
            row[key] = _round(row[key])
        rows.append(row)
    return rows


def response_rows(responses: Sequence[Answers], rng: random.Random | None = None) -> list[dict[str, Any]]:
    """The answers only, shuffled so the order says nothing about when anyone answered."""
    rows = [{c: getattr(a, c, None) for c in RESPONSE_COLUMNS} for a in responses]
    (rng or random.SystemRandom()).shuffle(rows)
    return rows


@dataclass(frozen=True)
class ResponseRecord:
    """One stored answer with what the record-level export may show next to it."""

    office_id: int | None
    month: str
    channel: str
    version: str
    answers: Answers


def _record_row(record: ResponseRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "office": "" if record.office_id is None else str(record.office_id),
        "month": record.month,
        "channel": record.channel,
        "questionnaire_version": record.version,
        "device": "" if record.answers.device in (NO_ANSWER, NOT_ASKED) else record.answers.device,
        "comment": record.answers.comment,
    }
    for name in _ANSWER_FIELDS:
        value = getattr(record.answers, name)
        # "Not asked" and "keine Angabe" look the same: both empty.
        row[name] = None if value in (None, NO_ANSWER, NOT_ASKED) else value
    return row


def anonymous_rows(
    records: Sequence[ResponseRecord], k: int = MIN_CELL, rng: random.Random | None = None
) -> list[dict[str, Any]]:
    """The record-level export, k-anonymous over office, month, channel and device.

    Rows whose combination of those four is shared by fewer than ``k`` rows lose the
    device, then the channel, the month and the office (blanked: local suppression), one
    at a time; rows that are still fewer than ``k`` with everything blanked are left out.
    The rows come out shuffled, so the order says nothing about when anyone answered.
    """
    rows = [_record_row(r) for r in records]
    for level in range(len(QUASI_IDENTIFIERS)):
        classes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            classes.setdefault(tuple(row[q] or "" for q in QUASI_IDENTIFIERS), []).append(row)
        for members in classes.values():
            if len(members) < k:
                for row in members:
                    row[QUASI_IDENTIFIERS[level]] = ""
    classes = {}
    for row in rows:
        classes.setdefault(tuple(row[q] or "" for q in QUASI_IDENTIFIERS), []).append(row)
    kept = [row for members in classes.values() if len(members) >= k for row in members]
    (rng or random.SystemRandom()).shuffle(kept)
    return [{c: row[c] for c in RESPONSE_COLUMNS} for row in kept]


def _csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read umlauts


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx(sheets: dict[str, tuple[Sequence[str], Sequence[dict[str, Any]]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row[c] for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _detail_rows(evaluation: Evaluation | None, group: str) -> list[dict[str, Any]]:
    if evaluation is None:
        return []
    return [cell_row(c) for cells in evaluation.detail(group).tables.values() for c in cells]


def _comparison_rows(evaluation: Evaluation | None) -> list[dict[str, Any]]:
    return [difference_row(d) for d in evaluation.comparison] if evaluation is not None else []


def export_reports(
    reports: Sequence[GroupReport], fmt: str, filters: dict[str, Any], evaluation: Evaluation | None = None
) -> bytes:
    """The figures of each group, kept apart, in ``fmt``.

    With ``evaluation``, each group's further tables follow its figures (``<group>-details``)
    and the differences SGB II − SGB III travel as their own ``comparison`` table.
    """
    details = {r.group: _detail_rows(evaluation, r.group) for r in reports} if evaluation else {}
    comparison = _comparison_rows(evaluation)
    if fmt == "csv":
        files = {f"{r.group}.csv": _csv(FIGURE_COLUMNS, figure_rows(r)) for r in reports}
        files.update({f"{group}-details.csv": _csv(CELL_COLUMNS, rows) for group, rows in details.items()})
        if comparison:
            files["comparison.csv"] = _csv(COMPARISON_COLUMNS, comparison)
        return _zip(files)
    if fmt == "xlsx":
        sheets: dict[str, tuple[Sequence[str], Sequence[dict[str, Any]]]]
        sheets = {r.group: (FIGURE_COLUMNS, figure_rows(r)) for r in reports}
        sheets.update({f"{group} details": (CELL_COLUMNS, rows) for group, rows in details.items()})
        if comparison:
            sheets["comparison"] = (COMPARISON_COLUMNS, comparison)
        return _xlsx(sheets)
    if fmt == "json":
        document: dict[str, Any] = {
            "questionnaire_version": reports[0].version if reports else VERSION,
            "filters": filters,
            "groups": {r.group: {"respondents": r.respondents, "figures": figure_rows(r)} for r in reports},
        }
        if evaluation is not None:
            for group in details:
                document["groups"][group]["tables"] = {
                    name: [cell_row(c) for c in cells] for name, cells in evaluation.detail(group).tables.items()
                }
            document["comparison"] = comparison
            document["methods"] = METHODS
        return json.dumps(document, ensure_ascii=False, indent=2).encode()
    raise ValueError(f"unknown format {fmt!r}")


def export_comparison(evaluation: Evaluation, fmt: str, filters: dict[str, Any]) -> bytes:
    """The differences SGB II − SGB III alone (the command's ``--comparison``)."""
    rows = _comparison_rows(evaluation)
    if fmt == "csv":
        return _zip({"comparison.csv": _csv(COMPARISON_COLUMNS, rows)})
    if fmt == "xlsx":
        return _xlsx({"comparison": (COMPARISON_COLUMNS, rows)})
    if fmt == "json":
        document = {"questionnaire_version": VERSION, "filters": filters, "comparison": rows}
        return json.dumps(document, ensure_ascii=False, indent=2).encode()
    raise ValueError(f"unknown format {fmt!r}")


def export_responses(group: str, rows: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """One group's anonymous responses in ``fmt``."""
    if fmt == "csv":
        return _zip({f"{group}-responses.csv": _csv(RESPONSE_COLUMNS, rows)})
    if fmt == "xlsx":
        return _xlsx({group: (RESPONSE_COLUMNS, rows)})
    if fmt == "json":
        document = {"group": group, "responses": list(rows)}
        return json.dumps(document, ensure_ascii=False, indent=2).encode()
    raise ValueError(f"unknown format {fmt!r}")


def content_type(fmt: str) -> str:
    return _TYPES[fmt]


def file_name(stem: str, fmt: str) -> str:
    return f"{stem}.{'zip' if fmt == 'csv' else fmt}"
