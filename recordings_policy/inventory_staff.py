"""The inventory of the database, continued: staff accounts, logs, opening hours, organisation."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Person, Retention, Table, table_items
from recordings_policy.retention import Category

__all__ = ["STAFF_ITEMS"]

C, A, E = Person.CASEWORKER, Person.ADMIN, Person.EVALUATOR
R, T = Person.RECIPIENT, Person.INTERPRETER  # T: third person
PURGE = "storage.purge:purge"
LOGS = Retention("ab Eintrag", Category.LOGS, 30)
ACCOUNT = Retention("solange das Konto besteht; Deaktivierung beendet die Nutzung, gelöscht wird manuell")
ORGANISATION = Retention("solange die Dienststelle den Dienst nutzt")


_STAFF = table_items(
    "Konten der Beschäftigten",
    Table(
        "users",
        (C, A, E),
        Basis.EMPLOYEES,
        ACCOUNT,
        None,
        {
            "id": "Kennung des Kontos",
            "username": "Anmeldename",
            "display_name": "angezeigter Name (für die leistungsberechtigte Person sichtbar)",
            "password_hash": "Passwort-Hash (argon2id), nie das Passwort",
            "role": "Rolle (Fachkraft, Auswertung, Administration)",
            "office_id": "Dienststelle",
            "created_at": "Anlagezeitpunkt",
            "active": "ob das Konto aktiv ist",
        },
    ),
    Table(
        "login_sessions",
        (C, A, E),
        Basis.SECURITY,
        Retention("bis zur Abmeldung oder zum Ablauf (10 Stunden)"),
        PURGE,
        {
            "token_hash": "Hash des Anmelde-Cookies",
            "user_id": "angemeldetes Konto",
            "csrf_token": "Schutz gegen Cross-Site-Request-Forgery",
            "created_at": "Anmeldezeitpunkt",
            "expires_at": "Ablauf",
        },
    ),
    Table(
        "password_links",
        (C, A, E),
        Basis.SECURITY,
        Retention("bis zur Nutzung oder zum Ablauf (72 Stunden)"),
        "storage.accounts:use_password_link",
        {"token_hash": "Hash des Links zum Setzen des Passworts", "user_id": "Konto", "expires_at": "Ablauf"},
    ),
) + table_items(
    "Protokolle",
    Table(
        "login_throttle",
        (C, A, E),
        Basis.SECURITY,
        LOGS,
        PURGE,
        {
            "key_hash": "Hash des Anmeldenamens (gegen Passwort-Raten)",
            "failures": "Zahl der Fehlversuche",
            "window_start": "Beginn des Zählfensters",
            "locked_until": "Sperre bis",
        },
    ),
    Table(
        "audit_log",
        (C, A),
        Basis.SECURITY,
        LOGS,
        PURGE,
        {
            "id": "laufende Nummer",
            "at": "Zeitpunkt",
            "event": "Art des Ereignisses (Anmeldung, Zulassung, Löschlauf, ...)",
            "detail": "Kennungen und Zahlen, keine Namen, Tokens oder Telefonnummern",
            "office_id": "Dienststelle, die der Eintrag betrifft (wer ihn in der Verwaltung lesen darf)",
        },
    ),
)

_PLANNING = table_items(
    "Sprechzeiten",
    Table(
        "caseworker_schedules",
        (C,),
        Basis.EMPLOYEES,
        Retention("bis zur Änderung oder Löschung des Kontos"),
        "storage.availability:save_schedule",
        {"caseworker_id": "Fachkraft", "slot_minutes": "Länge eines Termins", "buffer_minutes": "Puffer"},
    ),
    Table(
        "availability_hours",
        (C,),
        Basis.EMPLOYEES,
        Retention("bis zur Änderung oder Löschung des Kontos"),
        "storage.availability:save_schedule",
        {
            "id": "laufende Nummer",
            "caseworker_id": "Fachkraft",
            "weekday": "Wochentag",
            "starts": "Beginn",
            "ends": "Ende",
        },
    ),
    Table(
        "availability_absences",
        (C,),
        Basis.EMPLOYEES,
        Retention("bis die Fachkraft oder die Administration sie löscht (ohne Grund der Abwesenheit)"),
        "storage.availability:delete_absence",
        {
            "id": "laufende Nummer",
            "caseworker_id": "Fachkraft (leer: ganze Dienststelle, z. B. Feiertag)",
            "office_id": "Dienststelle",
            "first_day": "erster Tag",
            "last_day": "letzter Tag",
        },
    ),
) + table_items(
    "Organisationsdaten",
    Table(
        "offices",
        (),
        Basis.NONE,
        ORGANISATION,
        None,
        {
            "id": "Kennung",
            "name": "Name der Dienststelle",
            "address": "Anschrift",
            "phone": "Telefonnummer der Dienststelle",
            "opening_hours": "Öffnungszeiten",
            "allow_caseworker_choice": "ob die Fachkraft bei der Buchung gewählt werden kann",
        },
    ),
    Table(
        "alembic_version",
        (),
        Basis.NONE,
        Retention("solange die Datenbank besteht"),
        None,
        {"version_num": "Stand des Datenbankschemas"},
    ),
)

STAFF_ITEMS: tuple[Item, ...] = _STAFF + _PLANNING
