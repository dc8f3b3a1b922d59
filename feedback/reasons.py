"""Why not next time by video: the reasons' names and labels.

Questionnaire version 2 asks who would not take the next appointment by video for their
reason (``why_not_video``). The shares are read from the grid
(``feedback.grid_figures.reason_cells``); the table names the questionnaire's codes as
``REASONS`` (other spellings mapped by ``ALIASES``).
"""

from __future__ import annotations

from feedback.questionnaire import N_

__all__ = ["TABLE", "REASONS", "REASON_LABELS", "ALIASES"]

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
