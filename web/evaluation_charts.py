"""The evaluation page's charts: figures of ``feedback.evaluation`` drawn by ``feedback.charts``.

Labels and numbers are put into the page language here; the SVG is made on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup

from feedback import charts
from feedback.cells import Cell
from feedback.channels import BAND
from feedback.equipment import DEVICES
from feedback.evaluation import Evaluation
from feedback.report import OUTCOMES, Figure
from feedback.trend import SERIES
from web.i18n import gettext as _
from web.templating import percent, points

__all__ = ["page_charts"]

_GROUPS = {"sgb2": "SGB II", "sgb3": "SGB III"}


def _point(label: str, value: Figure | Cell | None, fmt: Callable[[float], str] = percent) -> charts.Point:
    if value is None or value.suppressed or value.estimate is None:
        return charts.Point(label, None, None, None, f"{label} {_('not shown')}")
    text = f"{label} {fmt(value.estimate)}"
    if value.low is not None and value.high is not None:
        interval = _("95 percent interval")
        text += f" ({interval} {fmt(value.low)} – {fmt(value.high)})"
    return charts.Point(label, value.estimate, value.low, value.high, text)


def _find(evaluation: Evaluation, group: str, device: str, month: str) -> Cell | None:
    try:
        return evaluation.detail(group).cell("equipment", device, "video", month)
    except KeyError:
        return None


def _series(evaluation: Evaluation, make: Callable[[str], Sequence[charts.Point]]) -> list[charts.Series]:
    return [charts.Series(r.group, _GROUPS[r.group], list(make(r.group))) for r in evaluation.reports]


def page_charts(evaluation: Evaluation, labels: dict[str, str]) -> dict[str, Markup]:
    """Chart name → SVG. ``labels`` are the page's translated metric and category labels."""
    reports = {r.group: r for r in evaluation.reports}
    not_shown = _("not shown")

    def bars(name: str, title: str, make: Callable[[str], Sequence[charts.Point]], **options: Any) -> str:
        """Bars ``chart-<name>``: one series per group, its points made by ``make(group)``."""
        return charts.bars(f"chart-{name}", title, _series(evaluation, make), not_shown=not_shown, **options)

    out: dict[str, str] = {}
    out["seed"] = bars(
        "seed",
        _("Would recommend video, and next appointment by video, per group"),
        lambda g: [
            _point(_("would recommend"), reports[g].figure("recommend", "yes")),
            _point(_("next by video"), reports[g].figure("next_by_video", "yes")),
        ],
    )
    if evaluation.comparison:
        out["comparison"] = _comparison(evaluation, labels, not_shown)
    out["gap"] = charts.differences(
        "chart-gap",
        _("Gap within each group: would recommend minus next by video (paired interval)"),
        charts.Series(
            "gap",
            _("recommend minus next by video"),
            [_point(_GROUPS[d.group], d.table("gap")[0], points) for d in evaluation.details if d.table("gap")],
        ),
        not_shown=not_shown,
    )
    if any(d.table("reasons") for d in evaluation.details):
        out["reasons"] = bars(
            "reasons",
            _("Reasons for not next time by video, per group"),
            lambda g: [_point(_(labels["reason:" + c.category]), c) for c in evaluation.detail(g).table("reasons")],
        )
    equipment_months = sorted({m for d in evaluation.details for m in d.months("equipment")})
    if equipment_months:
        out["equipment"] = bars(
            "equipment",
            _("Pre-call checks where video works, by device class and month"),
            lambda g: [
                _point(f"{_(labels['device:' + device])} {month}", _find(evaluation, g, device, month))
                for month in equipment_months
                for device in DEVICES
            ],
        )
    out["channels"] = bars(
        "channels",
        _("How sessions took place, per group, against the BA's estimate of 10–25 % by video"),
        lambda g: [_point(_(labels["outcome:" + o]), reports[g].figure("outcome", o)) for o in OUTCOMES],
        band=BAND,
        band_label=_("BA estimate 10–25 %"),
    )
    out["effort"] = bars(
        "effort",
        _("Caseworkers: effort compared with in person (1 much less – 5 much more)"),
        lambda g: [_point(c.category, c) for c in evaluation.detail(g).table("effort") if c.metric == "effort"],
    )
    out.update(_trends(evaluation, labels))
    return {name: Markup(svg) for name, svg in out.items()}


def _comparison(evaluation: Evaluation, labels: dict[str, str], not_shown: str) -> str:
    return charts.differences(
        "chart-comparison",
        _("Difference SGB II − SGB III with 95 percent interval (Newcombe)"),
        charts.Series(
            "sgb2",
            _("SGB II − SGB III"),
            [
                _point(
                    _(labels[d.metric + ":" + d.category]),
                    Cell(d.metric, d.category, None, None, d.difference, d.low, d.high, d.suppressed, table=""),
                    points,
                )
                for d in evaluation.comparison
            ],
        ),
        not_shown=not_shown,
    )


def _trends(evaluation: Evaluation, labels: dict[str, str]) -> dict[str, str]:
    months = sorted({m for d in evaluation.details for m in d.months("trend")})
    out: dict[str, str] = {}
    for metric in SERIES:
        out["trend_" + metric] = charts.trend(
            "chart-trend-" + metric.replace("_", "-"),
            _(labels["trend:" + metric]),
            months,
            _series(
                evaluation,
                lambda g, metric=metric: [  # type: ignore[misc]
                    _point(c.month, c) for c in evaluation.detail(g).table("trend") if c.metric == metric
                ],
            ),
        )
    return out
