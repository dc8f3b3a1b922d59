"""Risks and measures taken from ``docs/security.md``, for the DPIA draft.

The threat model is kept in one place (the security document, English); the DPIA quotes
it instead of restating it, so the two cannot drift apart. Each "### <attacker>" section
under "Who we defend against" gives its attack/control table; "Residual risks, in plain
words" gives the residual risks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SECURITY_DOC", "Threat", "SecurityModel", "read_security"]

# In a source checkout (where the command is run by the operator): docs/ next to the packages.
SECURITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


@dataclass(frozen=True)
class Threat:
    attacker: str
    intro: str
    measures: tuple[tuple[str, str], ...]  # (attack, control)


@dataclass(frozen=True)
class SecurityModel:
    source: str
    threats: tuple[Threat, ...]
    residual: tuple[str, ...]


def _sections(text: str, level: int) -> dict[str, str]:
    """``{title: body}`` of every heading of exactly ``level``."""
    marker = "#" * level + " "
    found: dict[str, str] = {}
    title = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") and (line.startswith(marker) or len(line) - len(line.lstrip("#")) < level):
            if title is not None:
                found[title] = "\n".join(lines).strip()
            title = line[len(marker) :].strip() if line.startswith(marker) else None
            lines = []
        elif title is not None:
            lines.append(line)
    if title is not None:
        found[title] = "\n".join(lines).strip()
    return found


def _table(body: str) -> tuple[tuple[str, str], ...]:
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 2 and not set(cells[0]) <= {"-", ":"} and cells[0] != "attack":
            rows.append((cells[0], cells[1]))
    return tuple(rows)


def _bullets(body: str) -> tuple[str, ...]:
    items: list[str] = []
    for line in body.splitlines():
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    return tuple(items)


def read_security(path: Path = SECURITY_DOC) -> SecurityModel | None:
    """The threat model, or None when the document is not there (an installed package)."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return None
    top = _sections(text, 2)
    threats = []
    for attacker, body in _sections(top.get("Who we defend against", ""), 3).items():
        intro = body.split("\n\n", 1)[0] if not body.startswith("|") else ""
        threats.append(Threat(attacker, intro.replace("\n", " "), _table(body)))
    return SecurityModel(str(path), tuple(threats), _bullets(top.get("Residual risks, in plain words", "")))
