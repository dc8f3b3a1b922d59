"""Technical equipment from the stored pre-call checks: device class × verdict per period.

The checks answer the seed's open question what SGB II recipients actually have. A check
row knows its group and month only (no office), so this table exists for all offices only
(a single office's report leaves it out). It is planned on the grid like every other
figure (``feedback.grid``), per group: the office axis holds the **verdicts** (all offices
are the only office), the period axis every month, quarter, half-year, year and ``all``,
and the device classes are the categories. A device class's share is its count over all
verdicts against the period's n, a verdict's share within a device class the device's
count in that verdict against the device's count; all of them are cells of the one plan,
so neither a period minus its sub-periods nor "all verdicts minus the others" recovers a
hidden one. The cost: the plan keeps the device classes whole over all verdicts, so the
verdicts per device class are mostly hidden unless the checks are many.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from feedback.cells import Cell, hidden, share
from feedback.grid import ALL_OFFICES, GridTable, count_rows, grid_table
from feedback.periods import Period
from feedback.questionnaire import N_

__all__ = ["TABLE", "DEVICES", "VERDICTS", "VERDICT_LABELS", "equipment_table", "equipment_cells"]

TABLE = "equipment"
DEVICES = ("smartphone", "tablet", "computer")
VERDICT_LABELS = {
    "video": N_("works"),
    "audio_only": N_("limited (sound only)"),
    "not_possible": N_("not possible"),
}
VERDICTS = tuple(VERDICT_LABELS)
_AXIS = {verdict: number for number, verdict in enumerate(VERDICTS, start=1)}  # verdict on the office axis


def equipment_table(checks: Iterable[tuple[str, str, str]], calendar: Sequence[str]) -> GridTable:
    """One group's checks, as (month, device class, verdict), planned over verdicts x the
    grid's periods by device class (months outside ``calendar`` and unknown values are left out)."""
    inside = set(calendar)
    rows = (
        (_AXIS[verdict], month, device)
        for month, device, verdict in checks
        if month in inside and device in DEVICES and verdict in _AXIS
    )
    return grid_table(count_rows(rows), DEVICES, tuple(_AXIS.values()), calendar)


def equipment_cells(table: GridTable, period: Period) -> list[Cell]:
    """The cells of ``period`` and of its months (within a month or a quarter) or quarters
    (over longer periods), each labelled with its period key.

    Per period: each device class's share of the period's checks (metric ``device_class``),
    and within each device class the share of each verdict (metric = the device class). A
    share is shown when its count and its n are both shown cells of the plan.
    """
    kind = "month" if period.kind in ("month", "quarter") else "quarter"
    calendar = table.layout.calendar
    wanted = set(period.months(calendar))
    periods = [period] + [
        p for p in table.layout.periods() if p.kind == kind and p != period and set(p.months(calendar)) <= wanted
    ]
    cells: list[Cell] = []
    if not wanted or not any(table.layout.totals.values()):
        return []  # no checks stored for this group at all: the page says so
    for each in periods:
        total = table.n(ALL_OFFICES, each)
        for device in DEVICES:
            cells.append(_share("device_class", device, table.count(ALL_OFFICES, each, device), total, each.key))
        for device in DEVICES:
            n = table.count(ALL_OFFICES, each, device)
            for verdict in VERDICTS:
                cells.append(_share(device, verdict, table.count(_AXIS[verdict], each, device), n, each.key))
    return cells


def _share(metric: str, category: str, count: int | None, n: int | None, key: str) -> Cell:
    if count is None or n is None:
        return hidden(TABLE, metric, category, key)
    return share(TABLE, metric, category, count, n, key)
