"""``videoberatung privacy-docs``: the documents come from the inventory, the policy and the office's facts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from recordings_policy import DEFAULT_POLICY
from recordings_policy.inventory import INVENTORY, Kind
from recordings_policy.privacy_security import SECURITY_DOC, read_security
from web.cli import main

DOCS = ("verzeichnis-verarbeitungstaetigkeiten", "dsfa-entwurf", "toms", "loeschkonzept")

FACTS = """
controller = "Jobcenter Beispielstadt"
controller_address = "Am Markt 1, 12345 Beispielstadt"
dpo_name = "Dr. Daten Schutz"
dpo_contact = "datenschutz@jobcenter-beispielstadt.example"
hosting_operator = "ITZ Beispielland"
hosting_location = "Rechenzentrum Beispielstadt, Deutschland"
third_country_transfer = "keine"
"""


class _Html(HTMLParser):
    """Counts tags; fails on a document whose tags do not close in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in {"meta", "br", "link", "img"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing open"


def _generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, facts: str | None, policy: Path = DEFAULT_POLICY) -> int:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("POLICY_PATH", str(policy))
    argv = ["privacy-docs", "--output", str(tmp_path / "out")]
    if facts is not None:
        (tmp_path / "facts.toml").write_text(facts, "utf-8")
        argv += ["--office-facts", str(tmp_path / "facts.toml")]
    return main(argv)


def _read(tmp_path: Path, slug: str, kind: str = "md") -> str:
    return (tmp_path / "out" / f"{slug}.{kind}").read_text("utf-8")


def test_the_four_documents_as_markdown_and_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _generate(tmp_path, monkeypatch, FACTS) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{d}.{k}" for d in DOCS for k in ("md", "html")
    )
    for slug in DOCS:
        parser = _Html()
        parser.feed(_read(tmp_path, slug, "html"))
        assert parser.stack == [] and parser.tags["h1"] == 1 and parser.tags["table"] >= 1, slug
        assert _read(tmp_path, slug).startswith("# ")
    record = _read(tmp_path, "verzeichnis-verarbeitungstaetigkeiten")
    # Every item of the inventory is in the record, with its purpose.
    for item in INVENTORY:
        assert f"| {item.name.replace('|', chr(92) + '|')} | {item.purpose} |" in record, item.name
    assert "Jobcenter Beispielstadt" in record and "Dr. Daten Schutz" in record
    assert "Art. 6 Abs. 1 lit. e DSGVO i. V. m. §§ 67a, 67b SGB X" in record
    # The facts not given are marked, never invented.
    assert "[auszufüllen] (Vertretung (Behördenleitung))" in record
    assert "[auszufüllen] (Auftragsverarbeiter (Art. 28 DSGVO))" in record


def test_missing_facts_are_marked_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path, monkeypatch, None) == 0
    assert "Noch auszufüllen (10)" in capsys.readouterr().err
    record = _read(tmp_path, "verzeichnis-verarbeitungstaetigkeiten")
    assert "[auszufüllen] (Name des Verantwortlichen)" in record
    assert "[auszufüllen] (Standort der Server)" in record


def test_the_dpia_quotes_every_threat_and_residual_risk_of_security_md(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _generate(tmp_path, monkeypatch, FACTS) == 0
    dpia = _read(tmp_path, "dsfa-entwurf")
    headings = re.findall(r"^### (.+)$", SECURITY_DOC.read_text("utf-8").split("## Residual risks")[0], re.M)
    assert len(headings) >= 5
    for heading in headings:
        assert f"\n### {heading}\n" in dpia
    model = read_security()
    assert model is not None and model.residual
    for risk in model.residual:
        assert f"- {risk}" in dpia
    assert "## Bewertung des Restrisikos" in dpia and "## Notwendigkeit und Verhältnismäßigkeit" in dpia


def test_retentions_come_from_the_policy_in_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed = DEFAULT_POLICY.read_text("utf-8").replace("days = 1095", "days = 1000")
    assert changed != DEFAULT_POLICY.read_text("utf-8")
    (tmp_path / "policy.toml").write_text(changed, "utf-8")
    assert _generate(tmp_path, monkeypatch, FACTS, tmp_path / "policy.toml") == 0
    concept = _read(tmp_path, "loeschkonzept")
    assert "| consent_records | 1000 Tage | Anlage des Datensatzes | consent_records | storage.purge:purge |" in concept
    assert "| session_metadata | 90 Tage | Ende des Termins |" in concept
    assert "| audio_video_recording | wird nie gespeichert |" in concept
    # Tables nothing deletes are named as such.
    assert "manuell gelöscht werden: users." in concept
    toms = _read(tmp_path, "toms", "html")
    assert "NICHT aktiv: SECURE_COOKIES=1 hinter HTTPS setzen" in toms


def test_a_bad_facts_file_is_refused_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path, monkeypatch, 'controler = "typo"\n') == 2
    assert "unknown keys controler" in capsys.readouterr().err
    assert _generate(tmp_path, monkeypatch, "controller = \n") == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_every_kind_is_in_the_record() -> None:
    assert {item.kind for item in INVENTORY} == set(Kind)
