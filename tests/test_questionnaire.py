"""Questionnaire version 2: "keine Angabe" everywhere, the follow-up, and the k-anonymous export."""

from __future__ import annotations

import random

import pytest

from feedback.errors import InvalidAnswer
from feedback.export import ResponseRecord, anonymous_rows
from feedback.questionnaire import NO_ANSWER, NOT_ASKED, QUESTIONS, Answers, parse_answers, questions_for
from feedback.report import build_report


def test_every_question_offers_no_answer_and_nothing_is_required() -> None:
    for question in QUESTIONS:
        assert not question.required
        if question.kind == "choice":
            assert NO_ANSWER in {value for value, _label in question.options}, question.name
        elif question.kind == "scale":
            assert question.no_answer and question.low_label and question.high_label
    empty = parse_answers({}, "video")
    assert (empty.recommend, empty.device, empty.setup_help) == (NO_ANSWER, NO_ANSWER, NO_ANSWER)
    assert empty.satisfaction is None and empty.technical_quality is None and empty.why_not_video is None


def test_follow_up_is_kept_only_for_the_gap() -> None:
    form = {"recommend": "yes", "next_by_video": "no", "why_not_video": "data_costs", "satisfaction": "no_answer"}
    answers = parse_answers(form, "phone")
    assert answers.why_not_video == "data_costs" and answers.satisfaction is None
    # Not in the gap: a stray follow-up answer is stored as "not asked".
    assert parse_answers({**form, "next_by_video": "yes"}, "phone").why_not_video is None
    # The reverse gap has its own follow-up.
    reverse = parse_answers(
        {"recommend": "no", "next_by_video": "yes", "why_not_recommend": "no_private_place"}, "video"
    )
    assert reverse.why_not_recommend == "no_private_place" and reverse.why_not_video is None
    assert parse_answers({**form, "why_not_recommend": "other"}, "phone").why_not_recommend is None
    with pytest.raises(InvalidAnswer):
        parse_answers({**form, "why_not_video": "because"}, "phone")
    with pytest.raises(InvalidAnswer):
        parse_answers({"satisfaction": "6"}, "video")


def _record(office: int, month: str, channel: str, device: str, quality: int | None = None) -> ResponseRecord:
    answers = Answers("yes", "no", 4, quality, device, "no", None, NO_ANSWER)
    return ResponseRecord(office, month, channel, "2", answers)


def test_record_export_is_k_anonymous_and_hides_not_asked() -> None:
    records = (
        [_record(1, "2026-11", "video", "smartphone", 5)] * 6
        + [_record(1, "2026-11", "video", "tablet", 4)] * 2  # too few with their device
        + [_record(1, "2026-11", "phone", "smartphone")]  # the one phone answer
        + [_record(2, "2026-10", "video", "computer", 3)] * 2  # too few in their office and month
    )
    rows = anonymous_rows(records, 5, random.Random(1))
    keys = [tuple(r[q] for q in ("office", "month", "channel", "device")) for r in rows]
    for key in keys:
        assert keys.count(key) >= 5, key
    assert ("1", "2026-11", "video", "smartphone") in keys
    # Everything that could single someone out was blanked, or the row left out.
    assert all(r["channel"] != "phone" for r in rows)
    # "keine Angabe" and "not asked" are both empty.
    assert all(r["why_not_video"] is None for r in rows)
    assert {r["technical_quality"] for r in rows} <= {None, 5, 4, 3}


@pytest.mark.parametrize("channel", ["phone", "in_person"])
def test_no_device_questions_after_a_phone_or_in_person_appointment(channel: str) -> None:
    asked = {q.name for q in questions_for(channel)}
    assert not asked & {"device", "setup_help", "technical_quality"}
    answers = parse_answers({"device": "tablet", "setup_help": "yes", "recommend": "yes"}, channel)
    assert (answers.device, answers.setup_help, answers.recommend) == (NOT_ASKED, NOT_ASKED, "yes")
    assert {"device", "setup_help", "technical_quality"} <= {q.name for q in questions_for("video")}


def _answer(device: str, setup_help: str, recommend: str = "yes") -> Answers:
    return Answers(recommend, "yes", 4, None, device, setup_help, None)


def test_the_report_counts_device_questions_over_video_sessions_only() -> None:
    video = [_answer("smartphone", "no")] * 6 + [_answer("computer", "yes")] * 5 + [_answer(NO_ANSWER, NO_ANSWER)] * 5
    others = [_answer(NOT_ASKED, NOT_ASKED, "no")] * 9
    report = build_report("sgb2", video + others, [], [])
    assert report.respondents == 25
    smartphone = report.figure("device", "smartphone")
    assert (smartphone.n, smartphone.count) == (16, 6)
    assert report.figure("setup_help", "yes").n == 16
    assert report.figure("recommend", "yes").n == 25
    # With only a few not asked, their number would follow: the distribution is hidden.
    few = build_report("sgb2", video + others[:2], [], [])
    assert all(f.suppressed for f in few.metric("device"))
    assert not build_report("sgb2", video, [], []).figure("device", "smartphone").suppressed
