"""Why not next time by video: the reasons of one group as shares with intervals.

Questionnaire version 2 asks who would not take the next appointment by video for their
reasons (the codes in ``REASONS``). ``reason_counts`` reads them from answers that carry a
``reasons`` field (or one of the other names in ``FIELDS``: a sequence of codes, or codes
separated by commas); older answers have none and count for nothing here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from feedback.cells import Cell, hidden, share
from feedback.questionnaire import N_
from feedback.suppression import shown, suppress_counts

__all__ = ["TABLE", "REASONS", "REASON_LABELS", "ALIASES", "FIELDS", "reason_counts", "reason_cells"]

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
# Other spellings of the same reasons, in case the questionnaire names them differently.
ALIASES = {
    "in_person": "prefer_in_person",
    "prefers_in_person": "prefer_in_person",
    "documents_forms": "documents",
    "forms": "documents",
    "technical": "technical_problems",
    "technical_issues": "technical_problems",
    "no_quiet_place": "no_private_place",
    "no_private_space": "no_private_place",
    "privacy": "no_private_place",
    "mobile_data": "data_costs",
    "costs": "data_costs",
    "no_suitable_device": "no_device",
}
# Names the follow-up answer may have on an answer object, first found wins.
FIELDS = ("why_not_video", "reasons", "not_video_reasons", "next_by_video_reasons", "reason")
# "keine Angabe" is an answer, but no reason.
_NOT_A_REASON = frozenset({"no_answer"})


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        codes = [code.strip() for code in value.split(",")]
    else:
        codes = [str(code).strip() for code in value]
    return [ALIASES.get(code, code) for code in codes if code and code not in _NOT_A_REASON]


def reason_counts(responses: Iterable[Any]) -> tuple[Counter[str], int] | None:
    """(reason → count, respondents who gave a reason); None when no answer has the field."""
    counts: Counter[str] = Counter()
    respondents = 0
    asked = False
    for answer in responses:
        # The first field that holds something (questionnaire 2: ``why_not_video``); an
        # answer without one was not asked (questionnaire 1, or the follow-up did not apply).
        field = next((name for name in FIELDS if getattr(answer, name, None) is not None), None)
        if field is None:
            continue
        asked = True
        codes = set(_codes(getattr(answer, field)))
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
