"""What the four GDPR documents say, built from the inventory, the policy, the deployment and the office's facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from recordings_policy.inventory import INVENTORY, Item, Kind, Person
from recordings_policy.privacy_docs import (
    TO_FILL,
    Bullets,
    Deployment,
    Document,
    OfficeFacts,
    Paragraph,
    Section,
    Table,
)
from recordings_policy.privacy_security import SecurityModel
from recordings_policy.retention import NEVER_STORED, Category, RetentionPolicy

__all__ = ["documents"]

_KINDS = {
    Kind.COLUMN: "Datenbankspalte",
    Kind.REDIS_KEY: "Redis-Schlüssel",
    Kind.COOKIE: "Cookie",
    Kind.LOG_FIELD: "Protokollfeld",
    Kind.METRIC_LABEL: "Kennzahl-Label",
}
_ANCHORS = {"created": "Anlage des Datensatzes", "session_end": "Ende des Termins", "appointment": "gebuchter Termin"}
_PURPOSE = (
    "Beratung von Leistungsberechtigten nach SGB II und SGB III per Video (Peer-to-Peer), als freiwillige "
    "Alternative zu Telefon und Vorsprache; dazu Warteraum, Einwilligungsnachweis, Ausweichtermine "
    "(Telefon/vor Ort), Nachweis gescheiterter Verbindungsversuche und eine anonyme Auswertung."
)


def _classes(items: Iterable[Item] = INVENTORY) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.data_class].append(item)
    return dict(grouped)


def _persons(items: Iterable[Item]) -> str:
    found = {p for item in items for p in item.persons}
    return ", ".join(p.value for p in Person if p in found) or "keine (ohne Personenbezug)"


def _retentions(items: Iterable[Item], policy: RetentionPolicy) -> str:
    return "; ".join(sorted({item.retention.describe(policy) for item in items}))


# The office's facts each document shows: (label, key in ``OfficeFacts``).
_CONTROLLER_FACTS = (
    ("Verantwortlicher (Art. 4 Nr. 7 DSGVO)", "controller"),
    ("Anschrift", "controller_address"),
    ("Vertretung", "controller_representative"),
    ("Datenschutzbeauftragte/r", "dpo_name"),
    ("Kontakt", "dpo_contact"),
    ("Stelle für Betroffenenrechte", "contact_for_rights"),
)
_HOSTING_FACTS = (
    ("Betrieb der Server", "hosting_operator"),
    ("Standort der Server", "hosting_location"),
    ("Auftragsverarbeiter (Art. 28 DSGVO)", "processors"),
    ("Übermittlung in Drittländer (Art. 44 ff. DSGVO)", "third_country_transfer"),
)


def _facts_table(facts: OfficeFacts, labelled: Iterable[tuple[str, str]], *more: tuple[str, str]) -> Table:
    """The facts named in ``labelled`` (label, key), then ``more`` rows of the deployment."""
    return Table(("Angabe", "Inhalt"), (*((label, facts.get(key)) for label, key in labelled), *more))


def _controller(facts: OfficeFacts) -> Section:
    return Section("Verantwortlicher und Datenschutzbeauftragte/r", (_facts_table(facts, _CONTROLLER_FACTS),))


def _hosting(facts: OfficeFacts, deployment: Deployment) -> Section:
    return Section(
        "Empfänger, Hosting und Drittländer",
        (
            _facts_table(
                facts,
                _HOSTING_FACTS,
                ("Öffentliche Adresse", deployment.public_url or f"{TO_FILL} (PUBLIC_URL nicht gesetzt)"),
                ("Datenbank", deployment.database),
                ("TURN-Relay", "eingerichtet (TURN_URLS)" if deployment.turn else "nicht eingerichtet"),
            ),
            Paragraph(
                "Der Dienst lädt keine Schriften, Skripte oder Bilder von Dritten; Bild und Ton gehen von Gerät zu "
                "Gerät und erreichen den Server nie. Ein TURN-Relay leitet nur verschlüsselte Pakete weiter."
            ),
        ),
    )


def _data_table(policy: RetentionPolicy) -> Table:
    rows = []
    for data_class, items in _classes().items():
        rows.append(
            (
                data_class,
                _persons(items),
                "; ".join(sorted({i.purpose for i in items}))[:600],
                "; ".join(sorted({i.basis.value for i in items})),
                _retentions(items, policy),
            )
        )
    return Table(("Datenkategorie", "Betroffene", "Daten (Auszug)", "Rechtsgrundlage", "Löschfrist"), tuple(rows))


def _items_table(kinds: Iterable[Kind]) -> Table:
    rows = tuple(
        (_KINDS[i.kind], i.name, i.purpose, ", ".join(p.value for p in i.persons) or "–", i.data_class)
        for i in INVENTORY
        if i.kind in kinds
    )
    return Table(("Art", "Name", "Zweck", "Betroffene", "Datenkategorie"), rows)


def _record(facts: OfficeFacts, deployment: Deployment, policy: RetentionPolicy) -> Document:
    never = ", ".join(c.value for c in sorted(NEVER_STORED))
    return Document(
        "verzeichnis-verarbeitungstaetigkeiten",
        "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO): Videoberatung",
        (
            _controller(facts),
            Section("Zweck der Verarbeitung", (Paragraph(_PURPOSE),)),
            Section("Kategorien betroffener Personen", (Bullets(tuple(p.value for p in Person)),)),
            Section("Kategorien personenbezogener Daten, Rechtsgrundlagen und Löschfristen", (_data_table(policy),)),
            Section(
                "Nie gespeichert",
                (
                    Paragraph(
                        f"Bild und Ton, Bildschirmfotos und Chat-Texte ({never}): die Löschrichtlinie verbietet sie, "
                        "und der Server erhält keine Medien."
                    ),
                ),
            ),
            _hosting(facts, deployment),
            Section(
                "Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
                (Paragraph("Siehe das Dokument „Technische und organisatorische Maßnahmen“ (toms)."),),
            ),
            Section("Einzelaufstellung aller Datenfelder", (_items_table(list(Kind)),)),
        ),
    )


def _dpia(facts: OfficeFacts, deployment: Deployment, policy: RetentionPolicy, model: SecurityModel | None) -> Document:
    sections = [
        _controller(facts),
        Section("Systematische Beschreibung der Verarbeitung", (Paragraph(_PURPOSE), _data_table(policy))),
        Section(
            "Was der Server sieht",
            (
                Bullets(
                    (
                        "Bild und Ton nie: sie gehen von Gerät zu Gerät (oder verschlüsselt durch das TURN-Relay).",
                        "Die Signalisierung zum Verbindungsaufbau (SDP mit DTLS-Fingerabdrücken, ICE-Kandidaten mit "
                        "den IP-Adressen der Geräte) leitet er weiter, ohne sie zu speichern; bei mehreren Knoten "
                        "über den Redis-Kanal {prefix}:socketio.",
                        "Die IP-Adresse jeder Anfrage (technisch nötig); sie wird nicht protokolliert.",
                        "Die Datenfelder des Inventars (Verzeichnis von Verarbeitungstätigkeiten, Einzelaufstellung).",
                    )
                ),
            ),
        ),
        Section(
            "Notwendigkeit und Verhältnismäßigkeit",
            (
                Bullets(
                    (
                        "Freiwilligkeit: die Videoberatung setzt eine Einwilligung voraus; wer ablehnt oder widerruft, "
                        "bucht einen Termin per Telefon oder vor Ort ohne Nachteil.",
                        "Datenminimierung: keine Namen der Leistungsberechtigten, pseudonyme Kennungen je Termin, "
                        "Tokens nur als Hash, Protokolle ohne IP-Adressen und ohne Tokens.",
                        "Keine Aufzeichnung: Bild, Ton, Bildschirmfotos und Chat-Texte werden nie gespeichert "
                        "(Löschrichtlinie, store = false).",
                        f"Speicherbegrenzung: Termindaten {policy.days(Category.SESSION_METADATA)} Tage, "
                        f"Einwilligungsnachweise {policy.days(Category.CONSENT_RECORDS)} Tage, Telefonnummern "
                        f"{policy.days(Category.BOOKINGS_AND_PHONE_NUMBERS)} Tage nach dem Termin; "
                        "ein Löschlauf setzt dies durch (siehe Löschkonzept).",
                    )
                ),
            ),
        ),
    ]
    if model is None:
        sections.append(
            Section("Risiken und Maßnahmen", (Paragraph(f"{TO_FILL}: siehe docs/security.md des Projekts."),))
        )
    else:
        sections.append(
            Section(
                "Risiken und Maßnahmen",
                (Paragraph(f"Aus dem Bedrohungsmodell des Projekts ({model.source}, englischer Originaltext)."),),
            )
        )
        for threat in model.threats:
            blocks: list[Paragraph | Table] = [Paragraph(threat.intro)] if threat.intro else []
            if threat.measures:
                blocks.append(Table(("Angriff", "Maßnahme"), threat.measures))
            sections.append(Section(threat.attacker, tuple(blocks), level=3))
        sections.append(Section("Restrisiken", (Bullets(model.residual),)))
    sections.append(
        Section(
            "Bewertung des Restrisikos",
            (Paragraph(f"{TO_FILL}: Bewertung durch die/den Datenschutzbeauftragte/n und Entscheidung der Leitung."),),
        )
    )
    return Document("dsfa-entwurf", "Datenschutz-Folgenabschätzung (Art. 35 DSGVO): Entwurf", tuple(sections))


def documents(
    facts: OfficeFacts, deployment: Deployment, policy: RetentionPolicy, model: SecurityModel | None
) -> list[Document]:
    from recordings_policy.privacy_measures import deletion_concept, measures

    return [
        _record(facts, deployment, policy),
        _dpia(facts, deployment, policy, model),
        measures(deployment),
        deletion_concept(deployment, policy),
    ]
