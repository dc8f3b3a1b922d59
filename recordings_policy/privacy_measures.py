"""The TOMs (Art. 32 GDPR) and the deletion concept, from the code's own measures and the inventory."""

from __future__ import annotations

from recordings_policy.inventory import INVENTORY, Kind
from recordings_policy.privacy_docs import TO_FILL, Bullets, Deployment, Document, Paragraph, Section, Table
from recordings_policy.retention import Category, RetentionPolicy

__all__ = ["measures", "deletion_concept"]

_ANCHORS = {"created": "Anlage des Datensatzes", "session_end": "Ende des Termins", "appointment": "gebuchter Termin"}


def _on(flag: bool, on: str, off: str) -> str:
    return on if flag else f"NICHT aktiv: {off}"


# Measures that hold in every deployment: (protection goal, measure, how, where in the code).
_FIXED: tuple[tuple[str, str, str, str], ...] = (
    (
        "Vertraulichkeit",
        "Verschlüsselung der Medien",
        "Bild und Ton Ende-zu-Ende zwischen den Geräten (WebRTC, DTLS-SRTP); der Server erhält keine Medien. "
        "Beide Seiten sehen im Gespräch, ob direkt oder über das Relay verbunden wird, und einen Prüfcode "
        "aus den DTLS-Fingerabdrücken beider Geräte zum Vergleich.",
        "web/static/js/verify.js",
    ),
    (
        "Vertraulichkeit",
        "Zugangskontrolle Beschäftigte",
        "Passwörter nur als argon2id-Hash; serverseitige Anmeldesitzungen (Token nur als SHA-256), "
        "Begrenzung von Fehlversuchen je Name und Adresse; CSRF-Schutz; Rollen (Fachkraft, Auswertung, "
        "Administration) und Dienststellenbindung",
        "storage/users.py, web/login_throttle.py",
    ),
    (
        "Vertraulichkeit",
        "Zugang Leistungsberechtigte",
        "signierter Einladungslink je Termin, an ein Gerät gebunden; Zulassung erst durch die Fachkraft "
        "aus dem Warteraum",
        "rooms/invitations.py",
    ),
    (
        "Vertraulichkeit",
        "Keine Dritten",
        "Content-Security-Policy: Seiten laden nur vom eigenen Ursprung (und STUN/TURN); keine externen "
        "Schriften, Skripte, Bilder, keine Analyse-Werkzeuge",
        "web/middlewares.py",
    ),
    (
        "Pseudonymisierung",
        "Pseudonyme Kennungen",
        "zufällige Kennungen je Termin statt Namen; Links, Codes und Cookies nur als Hash gespeichert",
        "storage/sessions.py",
    ),
    (
        "Datenminimierung",
        "Protokolle",
        "Zugriffsprotokoll ohne IP-Adresse und ohne Query-String, Pfade mit Tokens geschwärzt",
        "web/access_log.py",
    ),
    (
        "Datenminimierung",
        "Auswertung",
        "Rückmeldungen anonym (nur Monat, gemischte Übertragung in Stapeln); SGB II und SGB III getrennt",
        "storage/ballots.py",
    ),
    (
        "Integrität",
        "Einwilligungstexte",
        "versionierte Texte, SHA-256 des gezeigten Textes im Nachweis",
        "consent/texts.py",
    ),
    ("Integrität", "Nachweis gescheiterter Verbindungen", "signierter, prüfbarer Nachweis", "rooms/proof.py"),
    (
        "Belastbarkeit",
        "Begrenzungen",
        "Ratenbegrenzung für Anmeldung, Signalisierung, Buchung; Zeitlimits",
        "signaling/rate_limit.py",
    ),
    (
        "Überprüfung",
        "Tests und Inventar",
        "jede Spalte, jeder Redis-Schlüssel, jedes Cookie, Protokollfeld und Kennzahl-Label steht im "
        "Dateninventar; ein Test schlägt sonst fehl",
        "tests/test_inventory.py",
    ),
    (
        "Organisation",
        "Schulung, Berechtigungsvergabe, Notfallkonzept, Datensicherung",
        f"{TO_FILL} (Sache der Dienststelle)",
        "–",
    ),
)

_ORDER = (
    "Vertraulichkeit",
    "Pseudonymisierung",
    "Datenminimierung",
    "Integrität",
    "Verfügbarkeit",
    "Belastbarkeit",
    "Löschung",
    "Überprüfung",
    "Organisation",
)


def _configured(deployment: Deployment) -> tuple[tuple[str, str, str, str], ...]:
    """Measures whose state this deployment's settings decide."""
    return (
        (
            "Vertraulichkeit",
            "Transportverschlüsselung",
            _on(
                deployment.secure_cookies,
                "HTTPS; Cookies mit Secure (SECURE_COOKIES=1), HSTS",
                "SECURE_COOKIES=1 hinter HTTPS setzen",
            ),
            "web/middlewares.py",
        ),
        (
            "Verfügbarkeit",
            "Mehrere Knoten",
            _on(
                deployment.redis,
                "Redis verbindet mehrere Knoten; Ausfall eines Knotens verliert keine Gespräche",
                "ein Knoten ohne Redis",
            ),
            "signaling/presence.py",
        ),
        (
            "Löschung",
            "Löschlauf",
            f"automatisch alle {int(deployment.purge_interval_seconds)} Sekunden"
            if deployment.purge_interval_seconds
            else "NICHT automatisch: `videoberatung purge` per cron einrichten",
            "storage/purge.py",
        ),
    )


def _rows(deployment: Deployment) -> tuple[tuple[str, str, str, str], ...]:
    rows = _FIXED + _configured(deployment)
    rank = {goal: n for n, goal in enumerate(_ORDER)}
    return tuple(sorted(rows, key=lambda row: rank.get(row[0], len(_ORDER))))


def measures(deployment: Deployment) -> Document:
    rows = _rows(deployment)
    return Document(
        "toms",
        "Technische und organisatorische Maßnahmen (Art. 32 DSGVO): Videoberatung",
        (
            Section("Maßnahmen", (Table(("Schutzziel", "Maßnahme", "Umsetzung", "im Code"), rows),)),
            Section(
                "Einstellungen dieses Betriebs",
                (
                    Bullets(
                        (
                            f"Datenbank: {deployment.database}",
                            f"Redis (mehrere Knoten): {'ja' if deployment.redis else 'nein'}",
                            f"TURN-Relay: {'ja' if deployment.turn else 'nein'}",
                            f"Secure-Cookies: {'ja' if deployment.secure_cookies else 'nein'}",
                            f"Löschrichtlinie: {deployment.policy_path}",
                        )
                    ),
                ),
            ),
        ),
    )


def _rules(policy: RetentionPolicy) -> Table:
    rows = []
    for category in Category:
        rule = policy.rules[category]
        items = [i for i in INVENTORY if i.retention.category is category]
        tables = sorted({i.table for i in items if i.kind is Kind.COLUMN})
        if not rule.store:
            rows.append((category.value, "wird nie gespeichert", "–", "–", "–"))
            continue
        anchor = _ANCHORS[rule.anchor.value] if rule.anchor else "–"
        paths = ", ".join(sorted({i.deleted_by for i in items if i.deleted_by})) or "–"
        rows.append((category.value, f"{policy.days(category)} Tage", anchor, ", ".join(tables) or "–", paths))
    return Table(
        ("Datenklasse (policy.toml)", "Frist", "Auslöser (Fristbeginn)", "Tabellen", "Löschung durch"), tuple(rows)
    )


def _other_rules() -> Table:
    seen: dict[tuple[str, str], set[str]] = {}
    for item in INVENTORY:
        if item.retention.category is None and item.persons:
            key = (item.data_class, item.retention.rule)
            seen.setdefault(key, set()).add(item.table or item.name)
    rows = tuple(
        (data_class, rule, ", ".join(sorted(names)), _deleter(data_class, rule))
        for (data_class, rule), names in sorted(seen.items())
    )
    return Table(("Datenkategorie", "Regel", "Daten", "Löschung durch"), rows)


def _deleter(data_class: str, rule: str) -> str:
    paths = {
        i.deleted_by or ("keine automatische Löschung" if i.kind is Kind.COLUMN else "Ablauf (TTL, Max-Age)")
        for i in INVENTORY
        if i.data_class == data_class and i.retention.rule == rule
    }
    return ", ".join(sorted(paths))


def deletion_concept(deployment: Deployment, policy: RetentionPolicy) -> Document:
    gaps = sorted({i.table for i in INVENTORY if i.kind is Kind.COLUMN and i.deleted_by is None and i.persons})
    interval = deployment.purge_interval_seconds
    job = (
        f"Jeder Knoten startet den Löschlauf beim Start und dann alle {int(interval)} Sekunden "
        "(PURGE_INTERVAL_SECONDS); mit Redis führt ihn je Intervall nur ein Knoten aus."
        if interval
        else "Der Löschlauf im Server ist ausgeschaltet (PURGE_INTERVAL_SECONDS=0): cron muss "
        "`videoberatung purge` mindestens täglich ausführen."
    )
    return Document(
        "loeschkonzept",
        "Löschkonzept: Videoberatung",
        (
            Section("Regellöschfristen (aus der Löschrichtlinie)", (_rules(policy),)),
            Section("Weitere Löschregeln (technisch begrenzt)", (_other_rules(),)),
            Section(
                "Der Löschlauf",
                (
                    Paragraph(job),
                    Bullets(
                        (
                            "storage/purge.py löscht in Stapeln von 500 Zeilen, jeder Stapel eine eigene Transaktion.",
                            "Mit dem Termin gehen Teilnehmende, Einladungscodes, Zustellstatus und Versuchsprotokoll "
                            "(Fremdschlüssel ON DELETE CASCADE).",
                            "Jeder Lauf schreibt einen Eintrag „purge“ mit den Zahlen je Datenart ins Audit-Protokoll "
                            "und zählt sie in der Kennzahl videoberatung_purge_rows.",
                            "SQLite: nach dem Löschen wird das Write-Ahead-Log geleert; PostgreSQL: VACUUM und die "
                            "Rotation der Datensicherungen bestimmen, wann gelöschte Daten physisch verschwinden.",
                        )
                    ),
                ),
            ),
            Section(
                "Ohne automatische Löschung",
                (
                    Paragraph(
                        "Diese Tabellen löscht kein Code automatisch; die Dienststelle legt fest, wann sie manuell "
                        f"gelöscht werden: {', '.join(gaps) or 'keine'}. {TO_FILL}: Verfahren und Zuständigkeit."
                    ),
                ),
            ),
            Section(
                "Datensicherungen",
                (
                    Paragraph(
                        f"{TO_FILL}: Aufbewahrung der Sicherungen (Betrieb), höchstens die Fristen oben plus Rotation."
                    ),
                ),
            ),
        ),
    )
