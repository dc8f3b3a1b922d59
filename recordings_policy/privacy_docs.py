"""The GDPR documents generated from the data inventory, in German, as Markdown and printable HTML.

Four documents: the record of processing activities (Art. 30 GDPR), a draft data
protection impact assessment (Art. 35), the technical and organisational measures
(Art. 32) and the deletion concept. What the code knows comes from the inventory
(``recordings_policy.inventory``), the retention policy and the deployment's settings;
what only the office knows (controller, data protection officer, hosting) comes from a
small TOML file and is never invented: a missing fact is printed as to be filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

import jinja2

from recordings_policy.retention import read_toml

__all__ = [
    "TO_FILL",
    "OfficeFacts",
    "Deployment",
    "Paragraph",
    "Table",
    "Bullets",
    "Section",
    "Document",
    "InvalidFacts",
    "load_facts",
    "render",
    "write_documents",
]

TO_FILL = "[auszufüllen]"
_TEMPLATES = Path(__file__).with_name("templates")


class InvalidFacts(ValueError):
    """The office facts file cannot be read or holds unknown keys."""


@dataclass(frozen=True)
class OfficeFacts:
    """What only the office knows. Empty means: not given, to be filled in."""

    controller: str = ""  # name of the Jobcenter / agency
    controller_address: str = ""
    controller_representative: str = ""  # head of the authority
    dpo_name: str = ""
    dpo_contact: str = ""
    hosting_operator: str = ""  # who runs the servers (own IT, ITZ, processor)
    hosting_location: str = ""  # where the servers stand
    third_country_transfer: str = ""  # "keine" or what and on which basis (Art. 44 ff.)
    processors: str = ""  # processors under Art. 28, with their contracts
    contact_for_rights: str = ""  # where a person exercises their rights

    def get(self, name: str) -> str:
        value = str(getattr(self, name)).strip()
        return value or f"{TO_FILL} ({_LABELS[name]})"

    def missing(self) -> list[str]:
        return [_LABELS[f.name] for f in fields(self) if not str(getattr(self, f.name)).strip()]


_LABELS = {
    "controller": "Name des Verantwortlichen",
    "controller_address": "Anschrift des Verantwortlichen",
    "controller_representative": "Vertretung (Behördenleitung)",
    "dpo_name": "Datenschutzbeauftragte/r",
    "dpo_contact": "Kontakt der/des Datenschutzbeauftragten",
    "hosting_operator": "Betreiber der Server",
    "hosting_location": "Standort der Server",
    "third_country_transfer": "Übermittlung in Drittländer",
    "processors": "Auftragsverarbeiter (Art. 28 DSGVO)",
    "contact_for_rights": "Stelle für Betroffenenrechte",
}


def load_facts(path: Path | None) -> OfficeFacts:
    """The facts file (TOML, flat keys as in ``OfficeFacts``); none given: every fact is to be filled in."""
    if path is None:
        return OfficeFacts()
    data = read_toml(path, InvalidFacts)
    unknown = sorted(set(data) - set(_LABELS))
    if unknown:
        raise InvalidFacts(f"{path}: unknown keys {', '.join(unknown)} (known: {', '.join(_LABELS)})")
    wrong = sorted(k for k, v in data.items() if not isinstance(v, str))
    if wrong:
        raise InvalidFacts(f"{path}: {', '.join(wrong)} must be text")
    return OfficeFacts(**data)


@dataclass(frozen=True)
class Deployment:
    """Facts of this deployment read from its settings (never from the office file)."""

    database: str  # "PostgreSQL" or "SQLite"
    redis: bool
    turn: bool
    secure_cookies: bool
    public_url: str | None
    purge_interval_seconds: float
    policy_path: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Bullets | Table


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    level: int = 2


@dataclass(frozen=True)
class Document:
    slug: str  # file name without extension
    title: str
    sections: tuple[Section, ...]
    generated: date = field(default_factory=date.today)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _cell
    env.tests["paragraph"] = lambda b: isinstance(b, Paragraph)
    env.tests["bullets"] = lambda b: isinstance(b, Bullets)
    env.tests["table"] = lambda b: isinstance(b, Table)
    return env


def render(document: Document) -> Mapping[str, str]:
    """``{"md": ..., "html": ...}`` for one document."""
    env = _environment()
    return {kind: env.get_template(f"document.{kind}.j2").render(doc=document) for kind in ("md", "html")}


def write_documents(documents: list[Document], output: Path) -> list[Path]:
    """Write every document as ``<slug>.md`` and ``<slug>.html`` into ``output``; the paths written."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for document in documents:
        for kind, text in render(document).items():
            path = output / f"{document.slug}.{kind}"
            path.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
            written.append(path)
    return written
