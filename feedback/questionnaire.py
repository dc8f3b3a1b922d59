"""The recipient questionnaire (version "1") and the caseworker rating: definition and parsing.

Labels are marked with ``N_`` and translated where they are shown (gettext in the web edge).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from feedback.errors import InvalidAnswer

__all__ = [
    "VERSION",
    "COMMENT_LIMIT",
    "Question",
    "QUESTIONS",
    "RATING_QUESTIONS",
    "Answers",
    "Rating",
    "questions_for",
    "parse_answers",
    "parse_rating",
    "N_",
]

VERSION = "1"
COMMENT_LIMIT = 1000


def N_(message: str) -> str:
    """Mark a string for extraction; the edge translates it."""
    return message


@dataclass(frozen=True)
class Question:
    """``kind`` is "choice" (``options`` are value → label), "scale" (1–5) or "text"."""

    name: str
    label: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    video_only: bool = False
    low_label: str = ""
    high_label: str = ""


_YES_NO_DK = (("yes", N_("Yes")), ("no", N_("No")), ("dont_know", N_("Don't know")))

QUESTIONS: tuple[Question, ...] = (
    Question("recommend", N_("Would you recommend counselling by video to others?"), "choice", _YES_NO_DK),
    Question(
        "next_by_video",
        N_("Would you like your next appointment to be by video?"),
        "choice",
        _YES_NO_DK,
    ),
    Question(
        "satisfaction",
        N_("How satisfied are you with this conversation overall?"),
        "scale",
        low_label=N_("not at all satisfied"),
        high_label=N_("very satisfied"),
    ),
    Question(
        "technical_quality",
        N_("How good were picture and sound?"),
        "scale",
        video_only=True,
        low_label=N_("very poor"),
        high_label=N_("very good"),
    ),
    Question(
        "device",
        N_("Which device did you use?"),
        "choice",
        (
            ("smartphone", N_("Smartphone")),
            ("tablet", N_("Tablet")),
            ("computer", N_("Computer or laptop")),
        ),
    ),
    Question("setup_help", N_("Did someone help you set up the device?"), "choice", _YES_NO_DK[:2]),
    Question("comment", N_("Anything else you would like to tell us? (optional)"), "text", required=False),
)

RATING_QUESTIONS: tuple[Question, ...] = (
    Question(
        "effort",
        N_("Effort compared with an appointment in person"),
        "scale",
        low_label=N_("much less"),
        high_label=N_("much more"),
    ),
    Question(
        "technical_quality",
        N_("Technical quality of the conversation"),
        "scale",
        low_label=N_("very poor"),
        high_label=N_("very good"),
    ),
)


@dataclass(frozen=True)
class Answers:
    """One response; ``technical_quality`` is None unless the channel was video."""

    recommend: str
    next_by_video: str
    satisfaction: int
    technical_quality: int | None
    device: str
    setup_help: str
    comment: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rating:
    effort: int
    technical_quality: int


def questions_for(channel: str) -> tuple[Question, ...]:
    return tuple(q for q in QUESTIONS if channel == "video" or not q.video_only)


def _value(form: Mapping[str, Any], question: Question) -> str | int | None:
    raw = form.get(question.name, "")
    raw = raw.strip() if isinstance(raw, str) else ""
    if not raw:
        if question.required:
            raise InvalidAnswer(question.name, "missing")
        return None
    if question.kind == "choice":
        if raw not in {value for value, _label in question.options}:
            raise InvalidAnswer(question.name, "choice")
        return raw
    if question.kind == "scale":
        if raw not in {"1", "2", "3", "4", "5"}:
            raise InvalidAnswer(question.name, "range")
        return int(raw)
    if len(raw) > COMMENT_LIMIT:
        raise InvalidAnswer(question.name, "too_long")
    return raw


def parse_answers(form: Mapping[str, Any], channel: str) -> Answers:
    """Validate a submitted form; raise ``InvalidAnswer`` for the first bad answer."""
    values = {q.name: _value(form, q) for q in questions_for(channel)}
    return Answers(
        recommend=str(values["recommend"]),
        next_by_video=str(values["next_by_video"]),
        satisfaction=int(values["satisfaction"]),  # type: ignore[arg-type]
        technical_quality=values.get("technical_quality"),  # type: ignore[arg-type]
        device=str(values["device"]),
        setup_help=str(values["setup_help"]),
        comment=values["comment"],  # type: ignore[arg-type]
    )


def parse_rating(form: Mapping[str, Any]) -> Rating:
    values = {q.name: _value(form, q) for q in RATING_QUESTIONS}
    return Rating(effort=int(values["effort"]), technical_quality=int(values["technical_quality"]))  # type: ignore[arg-type]
