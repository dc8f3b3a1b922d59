"""Technical equipment from the stored pre-call checks: device class × verdict per month.

The checks answer the seed's open question what SGB II recipients actually have. A check
row knows its group and month only (no office), so this table always covers every office.
"""

from __future__ import annotations

from collections.abc import Mapping

from feedback.cells import Cell, hidden, share
from feedback.questionnaire import N_
from feedback.suppression import shown, suppress_counts

__all__ = ["TABLE", "DEVICES", "VERDICTS", "VERDICT_LABELS", "equipment_cells"]

TABLE = "equipment"
DEVICES = ("smartphone", "tablet", "computer")
VERDICT_LABELS = {
    "video": N_("works"),
    "audio_only": N_("limited (sound only)"),
    "not_possible": N_("not possible"),
}
VERDICTS = tuple(VERDICT_LABELS)


def equipment_cells(counts: Mapping[tuple[str, str, str], int]) -> list[Cell]:
    """Cells from (month, device class, verdict) → number of checks.

    Per month: each device class's share of the month's checks (metric ``device_class``),
    and within each device class the share of each verdict (metric = the device class).
    Device classes are suppressed as one distribution per month, then verdicts as one
    distribution per shown device class; a hidden device class hides its verdicts.
    """
    cells: list[Cell] = []
    for month in sorted({m for m, _d, _v in counts}):
        by_device = {d: sum(counts.get((month, d, v), 0) for v in VERDICTS) for d in DEVICES}
        total = sum(by_device.values())
        published = suppress_counts(by_device)
        for device in DEVICES:
            count = published[device]
            if count is None:
                cells.append(hidden(TABLE, "device_class", device, month))
            else:
                cells.append(share(TABLE, "device_class", device, count, total, month))
        for device in DEVICES:
            verdicts = {v: counts.get((month, device, v), 0) for v in VERDICTS}
            shown_verdicts = suppress_counts(verdicts) if published[device] is not None else {}
            for verdict in VERDICTS:
                count = shown_verdicts.get(verdict)
                if count is None or not shown(by_device[device]):
                    cells.append(hidden(TABLE, device, verdict, month))
                else:
                    cells.append(share(TABLE, device, verdict, count, by_device[device], month))
    return cells
