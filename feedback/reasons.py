"""Why not next time by video: the reasons of one group as shares with intervals.

Questionnaire version 2 asks who would not take the next appointment by video for their
reasons (the codes in ``REASONS``). ``reason_counts`` reads them from answers that carry a
``reasons`` field (a sequence of codes, or codes separated by commas); older answers have
none and count for nothing here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from feedback.cells import Cell, hidden, share
from feedback.questionnaire import N_
from feedback.suppression import shown, suppress_counts

__all__ = ["TABLE", "REASONS", "REASON_LABELS", "reason_counts", "reason_cells"]

TABLE = "reasons"
REASON_LABELS = {
    "prefer_in_person": N_("prefers to talk in person"),
    "documents": N_("needs to bring documents or forms"),
    "technical_problems": N_("technical problems"),
    "no_private_place": N_("no quiet or private place"),
    "data_costs": N_("mobile data or costs"),
    "no_device": N_("no suitable device"),
    "other": N_("other reason"),
}
REASONS = tuple(REASON_LABELS)


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [code.strip() for code in value.split(",") if code.strip()]
    return [str(code) for code in value if str(code)]


def reason_counts(responses: Iterable[Any]) -> tuple[Counter[str], int] | None:
    """(reason → count, respondents who gave a reason); None when no answer has the field."""
    counts: Counter[str] = Counter()
    respondents = 0
    asked = False
    for answer in responses:
        if not hasattr(answer, "reasons"):
            continue
        asked = True
        codes = set(_codes(answer.reasons))
        if codes:
            respondents += 1
            counts.update(codes)
    return (counts, respondents) if asked else None


def reason_cells(counts: Mapping[str, int], respondents: int) -> list[Cell]:
    """Each reason's share of those who gave one.

    A single choice (the counts add up to the respondents) is a distribution and gets the
    usual primary and secondary suppression. With several reasons per person each reason is
    a yes/no split of its own, so both its chosen and its not-chosen count must reach the
    threshold.
    """
    categories = list(REASONS) + sorted(set(counts) - set(REASONS))
    full = {category: int(counts.get(category, 0)) for category in categories}
    if not shown(respondents):
        return [hidden(TABLE, "reason", category) for category in categories]
    if sum(full.values()) == respondents:
        published: dict[str, int | None] = dict(suppress_counts(full))
    else:
        published = {c: (k if shown(k) and shown(respondents - k) else None) for c, k in full.items()}
    return [
        hidden(TABLE, "reason", category) if count is None else share(TABLE, "reason", category, count, respondents)
        for category, count in published.items()
    ]
