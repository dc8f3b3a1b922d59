"""The evaluator's results page and exports: SGB II and SGB III side by side, never pooled."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application import reporting
from feedback import export
from feedback.channels import BAND
from feedback.equipment import DEVICES, VERDICT_LABELS, VERDICTS
from feedback.evaluation import Evaluation
from feedback.periods import Period, parse_period, periods_of
from feedback.questionnaire import N_, QUESTIONS, VERSION, VERSIONS
from feedback.reasons import REASON_LABELS
from feedback.report import CHANNELS, OUTCOMES, distributions_for
from feedback.suppression import MIN_CELL
from web.evaluation_charts import page_charts
from web.i18n import gettext as _
from web.keys import REPORTING
from web.views.common import require_role

__all__ = ["routes", "parse_office", "period_label"]

routes = web.RouteTableDef()

METRIC_LABELS = {
    **{q.name: q.label for q in QUESTIONS},
    "outcome": N_("How sessions took place (video or fallback)"),
    "recommend_minus_next": N_("Gap: would recommend video minus next appointment by video"),
    "satisfaction": N_("Overall satisfaction (mean, 1–5)"),
    "technical_quality": N_("Picture and sound, video only (mean, 1–5)"),
    "rating_effort": N_("Caseworkers: effort compared with in person (mean, 1–5)"),
    "rating_technical_quality": N_("Caseworkers: technical quality (mean, 1–5)"),
    "response_rate": N_("Response rate: answers per offered feedback link"),
}
CATEGORY_LABELS = {
    **{value: label for q in QUESTIONS for value, label in q.options},
    "video": N_("held by video"),
    "phone": N_("switched to phone"),
    "in_person": N_("rebooked in person"),
    "technical_failure": N_("technical failure"),
    "no_show": N_("no-show"),
}


# Labels of the further tables and charts, keyed "metric:category" (msgids, translated where shown).
DETAIL_LABELS = {
    "recommend:yes": N_("would recommend video"),
    "next_by_video:yes": N_("next appointment by video"),
    **{f"outcome:{key}": CATEGORY_LABELS[key] for key in OUTCOMES},
    **{f"reason:{key}": label for key, label in REASON_LABELS.items()},
    **{f"verdict:{key}": label for key, label in VERDICT_LABELS.items()},
    **{f"device:{key}": CATEGORY_LABELS[key] for key in DEVICES},
    "trend:recommend": N_("Would recommend video, by month"),
    "trend:next_by_video": N_("Next appointment by video, by month"),
    "trend:video_share": N_("Sessions held by video, by month"),
    "effort:effort": N_("Effort compared with in person (1 much less – 5 much more)"),
    "effort:technical_quality": N_("Technical quality (1 very poor – 5 very good)"),
    "band:below": N_("below the BA's band"),
    "band:within": N_("within the BA's band"),
    "band:above": N_("above the BA's band"),
    "band:overlaps": N_("not decided: the interval overlaps the band's edge"),
}


# Over a half-year, a year or ``all`` the trend runs by quarter (``grid_details``).
QUARTER_LABELS = {
    "trend:recommend": N_("Would recommend video, by quarter"),
    "trend:next_by_video": N_("Next appointment by video, by quarter"),
    "trend:video_share": N_("Sessions held by video, by quarter"),
}
MONTH_NAMES = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip


def period_label(value: str | Period) -> str:
    """A grid period in words of the page's language: "Juli 2026", "3. Quartal 2026",
    "2. Halbjahr 2026", "Jahr 2026", "alle Monate"."""
    period = parse_period(value) if isinstance(value, str) else value
    if period.kind == "month":
        return f"{_(MONTH_NAMES[period.index - 1])} {period.year}"
    if period.kind == "quarter":
        return _("Quarter %(number)d %(year)d") % {"number": period.index, "year": period.year}
    if period.kind == "half":
        return _("Half-year %(number)d %(year)d") % {"number": period.index, "year": period.year}
    if period.kind == "year":
        return _("Year %(year)d") % {"year": period.year}
    return _("all months")


def parse_office(office: str) -> int | None:
    """Office id from a query value; empty means all offices."""
    if not office:
        return None
    if not office.isdigit() or len(office) > 9:
        raise web.HTTPBadRequest()
    return int(office)


def _version(request: web.Request) -> str:
    """The questionnaire version shown; versions are reported apart, never pooled."""
    version = request.query.get("version", "") or VERSION
    if version not in VERSIONS:
        raise web.HTTPBadRequest()
    return version


def _filters(request: web.Request) -> reporting.Filters:
    """Office, period of the grid and questionnaire version from the query (400 on a
    malformed one; a period off the grid raises ``BadPeriod``)."""
    office_id = parse_office(request.query.get("office", ""))
    period = parse_period(request.query.get("period", "") or "all")
    return reporting.Filters(office_id, period, _version(request))


def _detail_context(result: Evaluation, period: Period) -> dict[str, object]:
    labels = {**DETAIL_LABELS, **(QUARTER_LABELS if period.kind not in ("month", "quarter") else {})}
    return {
        "evaluation": result,
        "charts": page_charts(result, labels),
        "detail_labels": labels,
        "period_label": period_label,
        "devices": DEVICES,
        "verdicts": VERDICTS,
        "band": BAND,
        "trend_months": sorted({m for d in result.details for m in d.months("trend")}),
    }


async def _page(request: web.Request, template: str, **extra: object) -> web.StreamResponse:
    """The evaluation page or its print view: both groups side by side, with the filters."""
    require_role(request, "evaluator")
    filters = _filters(request)
    page = await request.app[REPORTING].evaluation_page(filters)
    result, offices, office_id = page.evaluation, page.offices, filters.office_id
    context: dict[str, object] = {
        **_detail_context(result, filters.period),
        "reports": list(result.reports),
        "metric_labels": METRIC_LABELS,
        "category_labels": CATEGORY_LABELS,
        "distributions": (*distributions_for(filters.version), "outcome"),
        "version": filters.version,
        "offices": offices,
        "office": request.query.get("office", ""),
        "period": filters.period.key,
        "period_name": period_label(filters.period),
        "periods": [(p.key, period_label(p)) for p in periods_of(page.calendar)],
        "office_name": dict(offices).get(office_id, f"#{office_id}") if office_id is not None else None,
        "min_cell": MIN_CELL,
        **extra,
    }
    return aiohttp_jinja2.render_template(template, request, context)


@routes.get("/evaluation", name="evaluation")
async def evaluation(request: web.Request) -> web.StreamResponse:
    means = ("satisfaction", "technical_quality", "rating_effort", "rating_technical_quality")
    return await _page(request, "evaluation.html", channels=CHANNELS, versions=VERSIONS, means=means, outcomes=OUTCOMES)


@routes.get("/evaluation/print", name="evaluation_print")
async def evaluation_print(request: web.Request) -> web.StreamResponse:
    """One clean report for an office and period, to print or save as PDF from the browser."""
    return await _page(request, "evaluation_print.html")


@routes.get("/evaluation/export", name="evaluation_export")
async def export_figures(request: web.Request) -> web.StreamResponse:
    """Figures of the groups asked for, each kept apart; or one group's responses."""
    require_role(request, "evaluator")
    fmt = request.query.get("format", "")
    if fmt not in export.FORMATS:
        raise web.HTTPBadRequest()
    groups = tuple(request.query.getall("group", []))
    filters = _filters(request)
    if request.query.get("responses") == "1":
        if filters.period.kind != "all":  # the records carry their month; no period filter
            raise web.HTTPBadRequest()
        body = await request.app[REPORTING].export_responses(groups, filters.office_id, fmt)
        stem = f"rueckmeldungen-{groups[0]}"
    else:
        body = await request.app[REPORTING].export_figures(groups, filters, fmt)
        stem = "auswertung-" + "-".join(groups)
    return web.Response(
        body=body,
        content_type=export.content_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="{export.file_name(stem, fmt)}"'},
    )
