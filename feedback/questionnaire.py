"""The recipient questionnaire (version "2") and the caseworker rating: definition and parsing.

Version 2 (issue 12): every question offers "keine Angabe" (``NO_ANSWER``; on the scales it
is stored as None, like a question that was not asked), nothing is required, and a
follow-up asks those who would recommend video but do not want their next session by video
why not. The device and set-up questions (like picture and sound) are asked after a video
session only; after a phone or in-person appointment they are stored as ``NOT_ASKED``.
Version 1 answers (no "keine Angabe", no follow-up) stay valid and are reported
per version.

Labels are marked with ``N_`` and translated where they are shown (gettext in the web edge).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from feedback.errors import InvalidAnswer

__all__ = [
    "VERSION",
    "VERSIONS",
    "NO_ANSWER",
    "NOT_ASKED",
    "WHY_NOT_VIDEO",
    "COMMENT_LIMIT",
    "Question",
    "QUESTIONS",
    "RATING_QUESTIONS",
    "Answers",
    "Rating",
    "questions_for",
    "follow_up_applies",
    "parse_answers",
    "parse_rating",
    "N_",
]

VERSION = "2"
VERSIONS = ("1", "2")
NO_ANSWER = "no_answer"
# A choice question not asked in this channel (the device after a phone call, say).
NOT_ASKED = "not_asked"
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
    # Version 2: "keine Angabe" is one of the options; nothing is required.
    no_answer: bool = False
    # A follow-up, asked only when ``follow_up_applies`` says so; ``hint`` says to whom.
    follow_up: bool = False
    hint: str = ""


_NA = (NO_ANSWER, N_("No answer"))
_YES_NO_DK = (("yes", N_("Yes")), ("no", N_("No")), ("dont_know", N_("Don't know")))
WHY_NOT_VIDEO = (
    ("prefer_in_person", N_("I prefer meeting in person")),
    ("documents", N_("The topic needs documents or forms")),
    ("technical", N_("Technical problems")),
    ("no_private_place", N_("No quiet or private place")),
    ("data_costs", N_("Mobile data or costs")),
    ("no_device", N_("No suitable device")),
    ("other", N_("Other reason")),
)


def _choice(
    name: str, label: str, options: tuple[tuple[str, str], ...], *, video_only: bool = False, follow_up_hint: str = ""
) -> Question:
    """A version-2 choice: optional, "keine Angabe" as its last option; with a hint, a follow-up."""
    return Question(
        name,
        label,
        "choice",
        options + (_NA,),
        required=False,
        video_only=video_only,
        no_answer=True,
        follow_up=bool(follow_up_hint),
        hint=follow_up_hint,
    )


def _scale(name: str, label: str, low: str, high: str, *, video_only: bool = False) -> Question:
    """A version-2 scale: optional, with "keine Angabe"."""
    return Question(
        name, label, "scale", required=False, video_only=video_only, low_label=low, high_label=high, no_answer=True
    )


QUESTIONS: tuple[Question, ...] = (
    _choice("recommend", N_("Would you recommend counselling by video to others?"), _YES_NO_DK),
    _choice("next_by_video", N_("Would you like your next appointment to be by video?"), _YES_NO_DK),
    _choice(
        "why_not_video",
        N_("Why not by video next time?"),
        WHY_NOT_VIDEO,
        follow_up_hint=N_(
            "Only if you would recommend video counselling but do not want your next appointment by video."
        ),
    ),
    _choice(
        "why_not_recommend",
        N_("Why would you not recommend counselling by video to others?"),
        WHY_NOT_VIDEO,
        follow_up_hint=N_("Only if you want your next appointment by video but would not recommend it to others."),
    ),
    _scale(
        "satisfaction",
        N_("How satisfied are you with this conversation overall?"),
        N_("not at all satisfied"),
        N_("very satisfied"),
    ),
    _scale(
        "technical_quality",
        N_("How good were picture and sound?"),
        N_("very poor"),
        N_("very good"),
        video_only=True,
    ),
    _choice(
        "device",
        N_("Which device did you use?"),
        (("smartphone", N_("Smartphone")), ("tablet", N_("Tablet")), ("computer", N_("Computer or laptop"))),
        video_only=True,
    ),
    _choice("setup_help", N_("Did someone help you set up the device?"), _YES_NO_DK[:2], video_only=True),
    Question("comment", N_("Anything else you would like to tell us? (optional)"), "text", required=False),
)


RATING_QUESTIONS: tuple[Question, ...] = tuple(
    Question(name, label, "scale", low_label=low, high_label=high)
    for name, label, low, high in (
        ("effort", N_("Effort compared with an appointment in person"), N_("much less"), N_("much more")),
        ("technical_quality", N_("Technical quality of the conversation"), N_("very poor"), N_("very good")),
    )
)


@dataclass(frozen=True)
class Answers:
    """One response. A scale answered "keine Angabe" is None, as is a question not asked
    (``technical_quality`` unless the channel was video, a follow-up unless it applied,
    the follow-ups always in version 1); ``device`` and ``setup_help`` not asked (not video)
    are ``NOT_ASKED``."""

    recommend: str
    next_by_video: str
    satisfaction: int | None
    technical_quality: int | None
    device: str
    setup_help: str
    comment: str | None
    why_not_video: str | None = None
    why_not_recommend: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rating:
    effort: int
    technical_quality: int


def questions_for(channel: str) -> tuple[Question, ...]:
    return tuple(q for q in QUESTIONS if channel == "video" or not q.video_only)


def follow_up_applies(recommend: str, next_by_video: str, follow_up: str = "why_not_video") -> bool:
    """The gap a follow-up explains: ``why_not_video`` for those who would recommend video
    but not have their next session by video; ``why_not_recommend`` for the reverse."""
    if follow_up == "why_not_recommend":
        return recommend == "no" and next_by_video == "yes"
    return recommend == "yes" and next_by_video == "no"


def _value(form: Mapping[str, Any], question: Question) -> str | int | None:
    raw = form.get(question.name, "")
    raw = raw.strip() if isinstance(raw, str) else ""
    if not raw:
        if question.required:
            raise InvalidAnswer(question.name, "missing")
        # Voluntary: an unanswered choice counts as "keine Angabe".
        return NO_ANSWER if question.no_answer and question.kind == "choice" else None
    if question.kind == "scale" and question.no_answer and raw == NO_ANSWER:
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
    recommend, next_by_video = str(values["recommend"]), str(values["next_by_video"])
    # Not asked is stored as not asked: an answer to a follow-up that did not apply is dropped.
    why = values["why_not_video"] if follow_up_applies(recommend, next_by_video) else None
    why_not = values["why_not_recommend"] if follow_up_applies(recommend, next_by_video, "why_not_recommend") else None
    return Answers(
        recommend=recommend,
        next_by_video=next_by_video,
        satisfaction=values["satisfaction"],  # type: ignore[arg-type]
        technical_quality=values.get("technical_quality"),  # type: ignore[arg-type]
        device=str(values.get("device", NOT_ASKED)),
        setup_help=str(values.get("setup_help", NOT_ASKED)),
        comment=values["comment"],  # type: ignore[arg-type]
        why_not_video=why,  # type: ignore[arg-type]
        why_not_recommend=why_not,  # type: ignore[arg-type]
    )


def parse_rating(form: Mapping[str, Any]) -> Rating:
    values = {q.name: _value(form, q) for q in RATING_QUESTIONS}
    return Rating(effort=int(values["effort"]), technical_quality=int(values["technical_quality"]))  # type: ignore[arg-type]
