"""The data inventory: everything the platform stores or emits about people, in code.

Every table column, Redis key pattern, cookie, log field and metric label is an ``Item``
with its purpose, the categories of person it concerns, its legal basis, its retention
(linked to a ``policy.toml`` category where the purge applies one) and the code path that
deletes it. ``tests/test_inventory.py`` fails when the schema (from the migrations), the
Redis keys, the cookies, the log fields or the metric labels of a real run hold anything
missing here, or when a retention differs from the policy. The GDPR documents
(``recordings_policy.privacy_docs``) are generated from it.

The texts are German: they go into documents for a German data protection officer.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from recordings_policy.retention import Category, RetentionPolicy

__all__ = [
    "Kind",
    "Person",
    "Basis",
    "Retention",
    "Item",
    "Table",
    "table_items",
    "INVENTORY",
    "items_of",
    "by_name",
    "resolve",
    "pattern_matches",
    "retention_mismatches",
    "categories_for",
    "consent_categories",
]


class Kind(enum.StrEnum):
    COLUMN = "column"
    REDIS_KEY = "redis_key"
    COOKIE = "cookie"
    LOG_FIELD = "log_field"
    METRIC_LABEL = "metric_label"


class Person(enum.StrEnum):
    """Categories of data subjects (Art. 30(1)(c) GDPR)."""

    RECIPIENT = "Leistungsberechtigte Person"
    CASEWORKER = "Fachkraft"
    INTERPRETER = "Dolmetscher/in oder Begleitperson"
    ADMIN = "Administrator/in"
    EVALUATOR = "Auswertende Person"


class Basis(enum.StrEnum):
    """Legal bases used by the inventory."""

    TASK = "Art. 6 Abs. 1 lit. e DSGVO i. V. m. §§ 67a, 67b SGB X (Aufgabe der Beratung nach SGB II/III)"
    CONSENT = "Art. 6 Abs. 1 lit. a, Art. 7 DSGVO (freiwillige Einwilligung in die Videoberatung)"
    PROOF = "Art. 6 Abs. 1 lit. c i. V. m. Art. 7 Abs. 1 DSGVO (Nachweis der Einwilligung)"
    EMPLOYEES = "Art. 6 Abs. 1 lit. e, Art. 88 DSGVO i. V. m. § 26 BDSG bzw. Landesrecht (Beschäftigtendaten)"
    SECURITY = "Art. 6 Abs. 1 lit. e i. V. m. Art. 32 DSGVO (Sicherheit der Verarbeitung)"
    TERMINAL = "§ 25 Abs. 2 Nr. 2 TDDDG (technisch unbedingt erforderlich) i. V. m. Art. 6 Abs. 1 lit. e DSGVO"
    STATISTICS = "Art. 6 Abs. 1 lit. e, Art. 89 DSGVO i. V. m. § 67c Abs. 2 SGB X (Evaluation, anonym)"
    NONE = "kein Personenbezug (Organisations- oder Betriebsdaten)"


@dataclass(frozen=True, slots=True)
class Retention:
    """How long an item is kept.

    ``category`` links it to a ``policy.toml`` rule; ``days`` is what the inventory claims
    that rule says (the test compares). Without a category, ``rule`` says in words what
    limits it (a TTL, an expiry, an account's life).
    """

    rule: str
    category: Category | None = None
    days: int | None = None

    def describe(self, policy: RetentionPolicy | None = None) -> str:
        if self.category is None:
            return self.rule
        days = policy.days(self.category) if policy is not None else self.days
        return f"{days} Tage ({self.rule}; policy.toml [{self.category.value}])"


@dataclass(frozen=True, slots=True)
class Item:
    kind: Kind
    name: str  # column: "table.column"; Redis: "{prefix}:wait:{session}"; others: the name
    purpose: str
    persons: tuple[Person, ...]
    basis: Basis
    retention: Retention
    # "module:function" that deletes it; None when nothing in the code deletes it (a gap
    # the deletion concept names).
    deleted_by: str | None
    data_class: str  # the group in the documents ("Termindaten", "Einwilligungsnachweise", ...)

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[0] if self.kind is Kind.COLUMN else ""


@dataclass(frozen=True, slots=True)
class Table:
    """One table: who its columns are about, why and how long they are kept, what deletes them."""

    name: str
    persons: tuple[Person, ...]
    basis: Basis
    retention: Retention
    deleted_by: str | None
    columns: dict[str, str]  # column -> purpose


def table_items(data_class: str, *tables: Table) -> tuple[Item, ...]:
    """One item per column of each table, all in the document group ``data_class``."""
    return tuple(
        Item(Kind.COLUMN, f"{t.name}.{column}", purpose, t.persons, t.basis, t.retention, t.deleted_by, data_class)
        for t in tables
        for column, purpose in t.columns.items()
    )


def _build() -> tuple[Item, ...]:
    from recordings_policy.inventory_runtime import RUNTIME_ITEMS
    from recordings_policy.inventory_tables import TABLE_ITEMS

    return TABLE_ITEMS + RUNTIME_ITEMS


INVENTORY: tuple[Item, ...] = _build()


def items_of(kind: Kind, items: Iterable[Item] = INVENTORY) -> list[Item]:
    return [item for item in items if item.kind is kind]


def by_name(kind: Kind, items: Iterable[Item] = INVENTORY) -> dict[str, Item]:
    return {item.name: item for item in items if item.kind is kind}


def resolve(path: str) -> object:
    """The object a ``deleted_by`` path names (``module:attr.attr``); raises when it is gone."""
    module, _, attrs = path.partition(":")
    found: object = importlib.import_module(module)
    for attr in attrs.split("."):
        found = getattr(found, attr)
    return found


def pattern_matches(pattern: str, prefix: str, key: str) -> bool:
    """Whether a Redis ``key`` is an instance of ``pattern`` under ``prefix``.

    ``{prefix}`` is the deployment's prefix; any other ``{name}`` stands for one segment
    without a colon.
    """
    parts = re.split(r"(\{[a-z_]+\})", pattern)
    regex = "".join(
        re.escape(prefix) if p == "{prefix}" else "[^:]+" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.fullmatch(regex, key) is not None


def retention_mismatches(policy: RetentionPolicy, items: Iterable[Item] = INVENTORY) -> list[str]:
    """Items whose claimed retention differs from ``policy`` (empty when all agree)."""
    wrong = []
    for item in items:
        category = item.retention.category
        if category is None:
            continue
        if not policy.may_store(category):
            wrong.append(f"{item.name}: policy says {category.value} is never stored")
        elif policy.days(category) != item.retention.days:
            wrong.append(
                f"{item.name}: {item.retention.days} days, policy.toml {category.value} says {policy.days(category)}"
            )
    return wrong


def categories_for(person: Person, items: Iterable[Item] = INVENTORY) -> set[Category]:
    """The retention categories of everything stored about ``person`` (what their pages must name)."""
    return {i.retention.category for i in items if person in i.persons and i.retention.category is not None}


def consent_categories(items: Iterable[Item] = INVENTORY) -> set[Category]:
    """The categories the recipient's consent covers: those stored on it, and its proof."""
    return {
        i.retention.category
        for i in items
        if i.basis in (Basis.CONSENT, Basis.PROOF)
        and Person.RECIPIENT in i.persons
        and i.retention.category is not None
    }
