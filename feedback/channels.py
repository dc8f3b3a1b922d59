"""How settled sessions took place, per group, and the video share against the BA's band.

The Bundesagentur estimates that 10–25 % of SGB II counselling can run by video. The
band position compares the whole 95 % interval of the video share with the band.
"""

from __future__ import annotations

from feedback.cells import Cell, hidden, placed
from feedback.report import OUTCOMES, GroupReport

__all__ = ["TABLE", "BAND", "band_position", "channel_cells"]

TABLE = "channels"
BAND = (0.10, 0.25)


def band_position(low: float, high: float, band: tuple[float, float] = BAND) -> str:
    """``below``, ``above`` or ``within`` the band when the interval says so, else ``overlaps``."""
    if high < band[0]:
        return "below"
    if low > band[1]:
        return "above"
    if band[0] <= low and high <= band[1]:
        return "within"
    return "overlaps"


def channel_cells(report: GroupReport) -> list[Cell]:
    """The outcome shares of the report; the video share carries its band position as note."""
    cells = []
    for outcome in OUTCOMES:
        figure = report.figure("outcome", outcome)
        if figure.suppressed or figure.low is None or figure.high is None:
            cells.append(hidden(TABLE, "outcome", outcome))
            continue
        note = band_position(figure.low, figure.high) if outcome == "video" else ""
        cells.append(placed(figure, TABLE, note=note))
    return cells
