"""The inventory of the database, continued: staff accounts, logs, opening hours, organisation."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Person, Retention, column_items
from recordings_policy.retention import Category

__all__ = ["STAFF_ITEMS"]

C, A, E = Person.CASEWORKER, Person.ADMIN, Person.EVALUATOR
R, T = Person.RECIPIENT, Person.INTERPRETER  # T: third person
PURGE = "storage.purge:purge"
LOGS = Retention("ab Eintrag", Category.LOGS, 30)
ACCOUNT = Retention("solange das Konto besteht; Deaktivierung beendet die Nutzung, gelöscht wird manuell")
ORGANISATION = Retention("solange die Dienststelle den Dienst nutzt")


_STAFF = (
    column_items(
        "users",
        persons=(C, A, E),
        basis=Basis.EMPLOYEES,
        retention=ACCOUNT,
        deleted_by=None,
        data_class="Konten der Beschäftigten",
        columns={
            "id": "Kennung des Kontos",
            "username": "Anmeldename",
            "display_name": "angezeigter Name (für die leistungsberechtigte Person sichtbar)",
            "password_hash": "Passwort-Hash (argon2id), nie das Passwort",
            "role": "Rolle (Fachkraft, Auswertung, Administration)",
            "office_id": "Dienststelle",
            "created_at": "Anlagezeitpunkt",
            "active": "ob das Konto aktiv ist",
        },
    )
    + column_items(
        "login_sessions",
        persons=(C, A, E),
        basis=Basis.SECURITY,
        retention=Retention("bis zur Abmeldung oder zum Ablauf (10 Stunden)"),
        deleted_by=PURGE,
        data_class="Konten der Beschäftigten",
        columns={
            "token_hash": "Hash des Anmelde-Cookies",
            "user_id": "angemeldetes Konto",
            "csrf_token": "Schutz gegen Cross-Site-Request-Forgery",
            "created_at": "Anmeldezeitpunkt",
            "expires_at": "Ablauf",
        },
    )
    + column_items(
        "password_links",
        persons=(C, A, E),
        basis=Basis.SECURITY,
        retention=Retention("bis zur Nutzung oder zum Ablauf (72 Stunden)"),
        deleted_by="storage.accounts:use_password_link",
        data_class="Konten der Beschäftigten",
        columns={"token_hash": "Hash des Links zum Setzen des Passworts", "user_id": "Konto", "expires_at": "Ablauf"},
    )
    + column_items(
        "login_throttle",
        persons=(C, A, E),
        basis=Basis.SECURITY,
        retention=LOGS,
        deleted_by=PURGE,
        data_class="Protokolle",
        columns={
            "key_hash": "Hash des Anmeldenamens (gegen Passwort-Raten)",
            "failures": "Zahl der Fehlversuche",
            "window_start": "Beginn des Zählfensters",
            "locked_until": "Sperre bis",
        },
    )
    + column_items(
        "audit_log",
        persons=(C, A),
        basis=Basis.SECURITY,
        retention=LOGS,
        deleted_by=PURGE,
        data_class="Protokolle",
        columns={
            "id": "laufende Nummer",
            "at": "Zeitpunkt",
            "event": "Art des Ereignisses (Anmeldung, Zulassung, Löschlauf, ...)",
            "detail": "Kennungen und Zahlen, keine Namen, Tokens oder Telefonnummern",
            "office_id": "Dienststelle, die der Eintrag betrifft (wer ihn in der Verwaltung lesen darf)",
        },
    )
)

_PLANNING = (
    column_items(
        "caseworker_schedules",
        persons=(C,),
        basis=Basis.EMPLOYEES,
        retention=Retention("bis zur Änderung oder Löschung des Kontos"),
        deleted_by="storage.availability:save_schedule",
        data_class="Sprechzeiten",
        columns={"caseworker_id": "Fachkraft", "slot_minutes": "Länge eines Termins", "buffer_minutes": "Puffer"},
    )
    + column_items(
        "availability_hours",
        persons=(C,),
        basis=Basis.EMPLOYEES,
        retention=Retention("bis zur Änderung oder Löschung des Kontos"),
        deleted_by="storage.availability:save_schedule",
        data_class="Sprechzeiten",
        columns={
            "id": "laufende Nummer",
            "caseworker_id": "Fachkraft",
            "weekday": "Wochentag",
            "starts": "Beginn",
            "ends": "Ende",
        },
    )
    + column_items(
        "availability_absences",
        persons=(C,),
        basis=Basis.EMPLOYEES,
        retention=Retention("bis die Fachkraft oder die Administration sie löscht (ohne Grund der Abwesenheit)"),
        deleted_by="storage.availability:delete_absence",
        data_class="Sprechzeiten",
        columns={
            "id": "laufende Nummer",
            "caseworker_id": "Fachkraft (leer: ganze Dienststelle, z. B. Feiertag)",
            "office_id": "Dienststelle",
            "first_day": "erster Tag",
            "last_day": "letzter Tag",
        },
    )
    + column_items(
        "offices",
        persons=(),
        basis=Basis.NONE,
        retention=ORGANISATION,
        deleted_by=None,
        data_class="Organisationsdaten",
        columns={
            "id": "Kennung",
            "name": "Name der Dienststelle",
            "address": "Anschrift",
            "phone": "Telefonnummer der Dienststelle",
            "opening_hours": "Öffnungszeiten",
            "allow_caseworker_choice": "ob die Fachkraft bei der Buchung gewählt werden kann",
        },
    )
    + column_items(
        "alembic_version",
        persons=(),
        basis=Basis.NONE,
        retention=Retention("solange die Datenbank besteht"),
        deleted_by=None,
        data_class="Organisationsdaten",
        columns={"version_num": "Stand des Datenbankschemas"},
    )
)

STAFF_ITEMS: tuple[Item, ...] = _STAFF + _PLANNING
