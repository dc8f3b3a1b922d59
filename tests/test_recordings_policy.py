"""The recordings and retention policy: the file, its validation, and its enforcement."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from consent.errors import UnknownText
from consent.texts import current_text
from recordings_policy import DEFAULT_POLICY, Category, InvalidPolicy, load_policy
from tests.conftest import create_session, login
from tests.sio import Peer, instance
from web import cli
from web.app import create_app


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, "utf-8")
    return path


def _default_without(table: str) -> str:
    lines, skip = [], False
    for line in DEFAULT_POLICY.read_text("utf-8").splitlines():
        if line.startswith("["):
            skip = line == f"[{table}]"
        if not skip:
            lines.append(line)
    return "\n".join(lines) + "\n"


def test_packaged_policy_has_safe_defaults() -> None:
    policy = load_policy()
    for never in ("audio_video_recording", "screenshots", "chat_text"):
        assert policy.may_store(never) is False and policy.retention(never) is None
    assert policy.retention(Category.SESSION_METADATA) == timedelta(days=90)
    assert policy.retention("consent_records") == timedelta(days=3 * 365)
    assert policy.retention("bookings_and_phone_numbers") == timedelta(days=7)
    assert policy.retention("feedback") == timedelta(days=730)
    assert policy.retention("logs") == timedelta(days=30)
    assert policy.facts()["session_metadata_days"] == 90


@pytest.mark.parametrize(
    ("extra", "drop", "problem"),
    [
        (
            "[audio_video_recording]\nstore = true\ndays = 1\nfrom = 'created'\n",
            "audio_video_recording",
            "[audio_video_recording]: must be store = false",
        ),
        ("", "logs", "missing categories: logs"),
        ("[tiktok]\nstore = false\n", None, "unknown categories: tiktok"),
        ("[logs]\nstore = true\ndays = 0\nfrom = 'created'\n", "logs", "[logs]: days must be"),
        (
            "[logs]\nstore = true\ndays = 30\nfrom = 'yesterday'\n",
            "logs",
            "[logs]: from must be one of",
        ),
        ("[logs]\nstore = 'yes'\n", "logs", "[logs]: store must be true or false"),
        (
            "[logs]\nstore = true\ndays = 30\nfrom = 'created'\nkeep = 1\n",
            "logs",
            "[logs]: unknown keys keep",
        ),
        (
            "[screenshots]\nstore = false\ndays = 3\n",
            "screenshots",
            "[screenshots]: days and from make no sense",
        ),
    ],
)
def test_invalid_policies_name_the_problem(tmp_path: Path, extra: str, drop: str | None, problem: str) -> None:
    base = _default_without(drop) if drop else DEFAULT_POLICY.read_text("utf-8")
    path = _write(tmp_path, base + extra)
    with pytest.raises(InvalidPolicy) as caught:
        load_policy(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_unreadable_or_broken_files_are_invalid(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match="cannot be read"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(InvalidPolicy, match="not valid TOML"):
        load_policy(_write(tmp_path, "version = = 1"))
    with pytest.raises(InvalidPolicy, match="version must be 1"):
        load_policy(_write(tmp_path, DEFAULT_POLICY.read_text("utf-8").replace("version = 1", "version = 2")))
    assert tomllib.loads(DEFAULT_POLICY.read_text("utf-8"))["version"] == 1


def test_create_app_refuses_an_invalid_policy(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    bad = replace(settings, policy_path=_write(tmp_path, _default_without("feedback")))
    with pytest.raises(InvalidPolicy, match="missing categories: feedback"):
        create_app(bad)


def test_serve_exits_with_the_policy_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("POLICY_PATH", str(_write(tmp_path, "version = 1\n")))
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "Invalid retention policy" in err and "missing categories" in err


def test_consent_text_is_filled_from_the_policy() -> None:
    policy = load_policy()
    template = current_text("de")
    filled = template.filled(policy.facts())
    assert "{session_metadata_duration}" in template.body and "{" not in filled.body
    # Plain words: years, not "1095 Tagen".
    assert "3 Monate nach dem Termin" in filled.body and "3 Jahre lang" in filled.body
    assert filled.sha256 != template.sha256
    assert "{" not in current_text("en").filled(policy.facts()).body
    with pytest.raises(UnknownText):
        template.filled({})


async def test_call_page_says_not_recorded_and_record_start_is_forbidden(server, client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, _ = await create_session(client, csrf)
    html = await (await client.get(f"/sessions/{session_id}/call")).text()
    assert 'id="not-recorded"' in html and "nicht aufgezeichnet" in html
    caseworker = Peer()
    try:
        await caseworker.connect(server, client, {"role": "caseworker", "session": session_id, "instance": instance()})
        await caseworker.next("call.peers")
        for payload in ({}, {"what": "audio"}, None):
            ack: Any = await caseworker.call("record.start", payload)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
    finally:
        await caseworker.close()
