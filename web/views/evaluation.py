"""The evaluator's results page and exports: SGB II and SGB III side by side, never pooled."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from application import reporting
from feedback import export
from feedback.channels import BAND
from feedback.equipment import DEVICES, VERDICT_LABELS, VERDICTS
from feedback.evaluation import Evaluation
from feedback.months import valid_month
from feedback.questionnaire import N_, QUESTIONS, VERSION, VERSIONS
from feedback.reasons import REASON_LABELS
from feedback.report import CHANNELS, OUTCOMES, distributions_for
from feedback.suppression import MIN_CELL
from web.evaluation_charts import page_charts
from web.keys import DB
from web.views.common import require_role

__all__ = ["routes", "parse_filters"]

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


def parse_filters(office: str, month: str) -> tuple[int | None, str | None]:
    """Office id and month from query values; empty means all."""
    office_id = None
    if office:
        if not office.isdigit() or len(office) > 9:
            raise web.HTTPBadRequest()
        office_id = int(office)
    if month and not valid_month(month):
        raise web.HTTPBadRequest()
    return office_id, month or None


def _version(request: web.Request) -> str:
    """The questionnaire version shown; versions are reported apart, never pooled."""
    version = request.query.get("version", "") or VERSION
    if version not in VERSIONS:
        raise web.HTTPBadRequest()
    return version


def _filters(request: web.Request) -> reporting.Filters:
    """Office, month and questionnaire version from the query (400 on a malformed one)."""
    office_id, month = parse_filters(request.query.get("office", ""), request.query.get("month", ""))
    return reporting.Filters(office_id, month, _version(request))


def _detail_context(result: Evaluation) -> dict[str, object]:
    return {
        "evaluation": result,
        "charts": page_charts(result, DETAIL_LABELS),
        "detail_labels": DETAIL_LABELS,
        "devices": DEVICES,
        "verdicts": VERDICTS,
        "band": BAND,
        "trend_months": sorted({m for d in result.details for m in d.months("trend")}),
    }


async def _page(request: web.Request, template: str, **extra: object) -> web.StreamResponse:
    """The evaluation page or its print view: both groups side by side, with the filters."""
    require_role(request, "evaluator")
    filters = _filters(request)
    result, offices = await reporting.evaluation_page(request.app[DB], filters)
    office_id = filters.office_id
    context: dict[str, object] = {
        **_detail_context(result),
        "reports": list(result.reports),
        "metric_labels": METRIC_LABELS,
        "category_labels": CATEGORY_LABELS,
        "distributions": (*distributions_for(filters.version), "outcome"),
        "version": filters.version,
        "offices": offices,
        "office": request.query.get("office", ""),
        "month": request.query.get("month", ""),
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
        body = await reporting.export_responses(request.app[DB], groups, filters, fmt)
        stem = f"rueckmeldungen-{groups[0]}"
    else:
        body = await reporting.export_figures(request.app[DB], groups, filters, fmt)
        stem = "auswertung-" + "-".join(groups)
    return web.Response(
        body=body,
        content_type=export.content_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="{export.file_name(stem, fmt)}"'},
    )
