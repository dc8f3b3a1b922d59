"""Server-rendered SVG charts: no script and no chart library in the browser.

Each chart is an ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>``; the
desc is the text alternative and lists every value drawn (a hidden value says so). The
page shows the table each chart came from next to it. Labels arrive translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["COLOURS", "Point", "Series", "bars", "differences", "trend"]

COLOURS = {"sgb2": "#0b4f8a", "sgb3": "#a3480b"}
_INK = "#1b1f24"
_GRID = "#c9d3dd"
_BAND = "#d8ecd2"
_BAND_EDGE = "#2f6b1f"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Point:
    """One drawn value with its interval; ``estimate`` None means suppressed (nothing drawn)."""

    label: str
    estimate: float | None
    low: float | None
    high: float | None
    text: str  # how the value reads in the text alternative


@dataclass(frozen=True)
class Series:
    """The points of one group (``key`` picks the colour), drawn side by side with the other."""

    key: str
    name: str
    points: Sequence[Point]


_LEGEND_STEP = 110
_PLOT = 410.0  # width of the plotting area


def _label_width(labels: Sequence[str]) -> float:
    """Room for the longest label left of the plot (about 7 units a character at 12 px)."""
    return max(120.0, 7.0 * max((len(label) for label in labels), default=0) + 16)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _lines(text: str, width: int) -> list[str]:
    """``text`` broken into lines that fit ``width`` (about 9.5 units a bold character at 14 px)."""
    limit = max(20, int(width / 9.5))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _svg(chart_id: str, title: str, series: Sequence[Series], width: int, height: int, body: list[str]) -> str:
    desc = " ".join(f"{s.name}: " + "; ".join(p.text for p in s.points) + "." for s in series)
    # The title is also drawn, so sighted readers see what the chart shows; the plot sits below it.
    lines = _lines(title, width)
    drawn = "".join(f'<tspan x="0" dy="{0 if i == 0 else 18}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    offset = 28 + 18 * (len(lines) - 1)
    return (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" viewBox="0 0 {width} {height + offset}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" {_FONT}>'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        f'<text class="chart-title" y="16" font-size="14" font-weight="600" fill="{_INK}">{drawn}</text>'
        f'<g transform="translate(0 {offset})">' + "".join(body) + "</g></svg>"
    )


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    body = []
    for index, item in enumerate(series):
        left = x + index * _LEGEND_STEP
        body.append(
            f'<rect x="{_f(left)}" y="{_f(y - 10)}" width="12" height="12" fill="{COLOURS.get(item.key, _INK)}"/>'
        )
        body.append(f'<text x="{_f(left + 18)}" y="{_f(y)}" fill="{_INK}">{escape(item.name)}</text>')
    return body


def _axis(
    left: float, right: float, top: float, bottom: float, ticks: Sequence[float], scale: float, lo: float
) -> list[str]:
    body = []
    for tick in ticks:
        x = left + (tick - lo) * scale
        body.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(top)}" y2="{_f(bottom)}" stroke="{_GRID}"/>')
        label = f"{tick * 100:+.0f} %" if lo < 0 and tick else f"{tick * 100:.0f} %"
        body.append(f'<text x="{_f(x)}" y="{_f(bottom + 14)}" text-anchor="middle" fill="{_INK}">{label}</text>')
    return body


def _whisker(x1: float, x2: float, y: float) -> str:
    return (
        f'<path d="M{_f(x1)} {_f(y)}H{_f(x2)}M{_f(x1)} {_f(y - 5)}V{_f(y + 5)}M{_f(x2)} {_f(y - 5)}V{_f(y + 5)}" '
        f'stroke="{_INK}" stroke-width="1.5" fill="none"/>'
    )


def bars(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    *,
    band: tuple[float, float] | None = None,
    band_label: str = "",
    not_shown: str = "–",
) -> str:
    """Horizontal bars 0–100 % with interval whiskers, the groups side by side per label.

    ``band`` shades a reference range (the BA's 10–25 %) behind the bars.
    """
    labels = list(dict.fromkeys(p.label for s in series for p in s.points))
    left, top, row = _label_width(labels), 34.0, 18.0
    right = left + _PLOT
    scale = right - left
    block = row * len(series) + 10
    height = int(top + block * len(labels) + 34)
    bottom = top + block * len(labels)
    body = _legend(series, left, 16)
    if band:
        x1, x2 = left + band[0] * scale, left + band[1] * scale
        body.append(
            f'<rect class="band" x="{_f(x1)}" y="{_f(top)}" width="{_f(x2 - x1)}" '
            f'height="{_f(bottom - top)}" fill="{_BAND}"/>'
        )
        if band_label:
            swatch = left + len(series) * _LEGEND_STEP
            body.append(
                f'<rect x="{_f(swatch)}" y="6" width="12" height="12" fill="{_BAND}" stroke="{_BAND_EDGE}" '
                'stroke-dasharray="3 2"/>'
            )
            body.append(f'<text x="{_f(swatch + 18)}" y="16" fill="{_INK}">{escape(band_label)}</text>')
    body += _axis(left, right, top, bottom, (0, 0.25, 0.5, 0.75, 1.0), scale, 0.0)
    for index, label in enumerate(labels):
        y0 = top + index * block
        body.append(
            f'<text x="{_f(left - 8)}" y="{_f(y0 + row - 4)}" text-anchor="end" fill="{_INK}">{escape(label)}</text>'
        )
        for offset, item in enumerate(series):
            y = y0 + offset * row
            point = next((p for p in item.points if p.label == label), None)
            if point is None:
                continue
            if point.estimate is None:
                body.append(f'<text x="{_f(left + 4)}" y="{_f(y + row - 5)}" fill="{_INK}">{escape(not_shown)}</text>')
                continue
            colour = COLOURS.get(item.key, _INK)
            width = point.estimate * scale
            body.append(
                f'<rect x="{_f(left)}" y="{_f(y + 2)}" width="{_f(width)}" height="{_f(row - 5)}" fill="{colour}"/>'
            )
            if point.low is not None and point.high is not None:
                body.append(_whisker(left + point.low * scale, left + point.high * scale, y + row / 2))
    if band:
        # the band's edges stay visible over the bars
        for edge in band:
            x = left + edge * scale
            body.append(
                f'<line class="band-edge" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(top)}" y2="{_f(bottom)}" '
                f'stroke="{_BAND_EDGE}" stroke-width="2" stroke-dasharray="4 3"/>'
            )
    return _svg(chart_id, title, series, int(right + 40), height, body)


def differences(chart_id: str, title: str, series: Series, *, not_shown: str = "–") -> str:
    """Differences with their intervals against a zero line (−100 to +100 percentage points)."""
    left, top, row = _label_width([p.label for p in series.points]), 16.0, 26.0
    right = left + _PLOT
    scale = (right - left) / 2
    bottom = top + row * len(series.points)
    body = _axis(left, right, top, bottom, (-1.0, -0.5, 0.0, 0.5, 1.0), scale, -1.0)
    zero = left + scale
    body.append(
        f'<line class="zero" x1="{_f(zero)}" x2="{_f(zero)}" y1="{_f(top)}" y2="{_f(bottom)}" '
        f'stroke="{_INK}" stroke-width="2"/>'
    )
    for index, point in enumerate(series.points):
        y = top + index * row + row / 2
        body.append(
            f'<text x="{_f(left - 8)}" y="{_f(y + 4)}" text-anchor="end" fill="{_INK}">{escape(point.label)}</text>'
        )
        if point.estimate is None:
            body.append(f'<text x="{_f(zero + 6)}" y="{_f(y + 4)}" fill="{_INK}">{escape(not_shown)}</text>')
            continue
        if point.low is not None and point.high is not None:
            body.append(_whisker(zero + point.low * scale, zero + point.high * scale, y))
        body.append(
            f'<circle cx="{_f(zero + point.estimate * scale)}" cy="{_f(y)}" r="5" '
            f'fill="{COLOURS.get(series.key, _INK)}"/>'
        )
    return _svg(chart_id, title, [series], int(right + 40), int(bottom + 30), body)


def trend(chart_id: str, title: str, months: Sequence[str], series: Sequence[Series]) -> str:
    """Monthly shares 0–100 % as lines per group, whiskers for the intervals, gaps where hidden."""
    left, right, top, bottom = 50.0, 610.0, 30.0, 210.0
    step = (right - left) / max(1, len(months))
    body = _legend(series, left, 16)
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - tick * (bottom - top)
        body.append(f'<line x1="{_f(left)}" x2="{_f(right)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{_GRID}"/>')
        body.append(
            f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" fill="{_INK}">{tick * 100:.0f} %</text>'
        )
    for index, month in enumerate(months):
        x = left + step * (index + 0.5)
        body.append(
            f'<text x="{_f(x)}" y="{_f(bottom + 16)}" text-anchor="middle" fill="{_INK}">{escape(month)}</text>'
        )
    for offset, item in enumerate(series):
        colour = COLOURS.get(item.key, _INK)
        by_month = {p.label: p for p in item.points}
        path: list[str] = []
        for index, month in enumerate(months):
            point = by_month.get(month)
            if point is None or point.estimate is None:
                path.append("")  # a gap: the line does not bridge a hidden month
                continue
            x = left + step * (index + 0.5) + (offset - (len(series) - 1) / 2) * 6
            y = bottom - point.estimate * (bottom - top)
            path.append(f"{_f(x)} {_f(y)}")
            if point.low is not None and point.high is not None:
                y1, y2 = bottom - point.low * (bottom - top), bottom - point.high * (bottom - top)
                body.append(f'<path d="M{_f(x)} {_f(y1)}V{_f(y2)}" stroke="{colour}" stroke-width="1.5"/>')
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{colour}"/>')
        runs, run = [], []
        for piece in path + [""]:
            if piece:
                run.append(piece)
            elif run:
                runs.append(run)
                run = []
        for run in runs:
            if len(run) > 1:
                body.append(f'<path d="M{"L".join(run)}" stroke="{colour}" stroke-width="2" fill="none"/>')
    return _svg(chart_id, title, series, 640, int(bottom + 30), body)
