"""The inventory of the database: every column of every table the migrations create."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Kind, Person, Retention
from recordings_policy.retention import Category

__all__ = ["TABLE_ITEMS"]

R, C, T, A, E = (
    Person.RECIPIENT,
    Person.CASEWORKER,
    Person.INTERPRETER,
    Person.ADMIN,
    Person.EVALUATOR,
)  # T: third person
PURGE = "storage.purge:purge"

SESSION = Retention("ab Ende des Termins, sonst ab Anlage", Category.SESSION_METADATA, 90)
CONSENT = Retention("ab Erteilung; Verjährungsfrist § 195 BGB", Category.CONSENT_RECORDS, 1095)
BOOKING = Retention("ab dem gebuchten Termin", Category.BOOKINGS_AND_PHONE_NUMBERS, 7)
FEEDBACK = Retention("ab dem Monat der Antwort", Category.FEEDBACK, 730)
LOGS = Retention("ab Eintrag", Category.LOGS, 30)
ACCOUNT = Retention("solange das Konto besteht; Deaktivierung beendet die Nutzung, gelöscht wird manuell")
ORGANISATION = Retention("solange die Dienststelle den Dienst nutzt")


def _table(
    table: str,
    *,
    persons: tuple[Person, ...],
    basis: Basis,
    retention: Retention,
    deleted_by: str | None,
    data_class: str,
    columns: dict[str, str],
) -> tuple[Item, ...]:
    return tuple(
        Item(Kind.COLUMN, f"{table}.{column}", purpose, persons, basis, retention, deleted_by, data_class)
        for column, purpose in columns.items()
    )


_SESSIONS = _table(
    "counsel_sessions",
    persons=(R, C),
    basis=Basis.TASK,
    retention=SESSION,
    deleted_by=PURGE,
    data_class="Termindaten",
    columns={
        "id": "zufällige Kennung des Termins",
        "caseworker_id": "welche Fachkraft den Termin führt",
        "office_id": "Dienststelle des Termins",
        "benefit_group": "Rechtskreis (SGB II/SGB III), für die getrennte Auswertung",
        "language": "Sprache der Seiten für die leistungsberechtigte Person",
        "scheduled_at": "geplanter Zeitpunkt",
        "state": "Zustand des Termins (offen, läuft, beendet)",
        "outcome": "Ausgang (stattgefunden, technisch gescheitert, abgesagt)",
        "invitation_jti": "Kennung des Einladungslinks, damit er gesperrt werden kann",
        "created_at": "Anlagezeitpunkt",
        "ended_at": "Ende des Termins; ab hier läuft die Löschfrist",
    },
)

_PARTICIPANTS = _table(
    "participants",
    persons=(R, T, C),
    basis=Basis.TASK,
    retention=SESSION,
    deleted_by=PURGE,  # with its session (ON DELETE CASCADE)
    data_class="Termindaten",
    columns={
        "id": "pseudonyme Kennung der teilnehmenden Person in diesem Termin (kein Name)",
        "session_id": "zugehöriger Termin",
        "role": "Rolle im Termin (leistungsberechtigte Person, Dolmetscher/in)",
        "secret_hash": "Hash des Geräte-Geheimnisses (Cookie), zur Wiedererkennung des Geräts",
        "admission": "Stand der Zulassung aus dem Warteraum",
        "created_at": "Zeitpunkt des Öffnens der Einladung",
        "via_link": "ob die Person über den Einladungslink kam",
        "moved_at": "wann der Link zuletzt auf ein anderes Gerät wechselte",
    },
)

_SESSION_CHILDREN = (
    _table(
        "invitation_codes",
        persons=(R,),
        basis=Basis.TASK,
        retention=SESSION,
        deleted_by=PURGE,  # with its session (ON DELETE CASCADE)
        data_class="Termindaten",
        columns={
            "code_hash": "Hash des kurzen Einladungscodes (der Code selbst wird nicht gespeichert)",
            "session_id": "zugehöriger Termin",
            "jti": "Kennung der Einladung",
            "not_before": "ab wann der Code gilt",
            "expires_at": "bis wann der Code gilt",
        },
    )
    + _table(
        "invitation_deliveries",
        persons=(R,),
        basis=Basis.TASK,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={
            "id": "laufende Nummer",
            "session_id": "zugehöriger Termin",
            "channel": "Versandweg der Einladung (ohne Adresse oder Nummer)",
            "state": "Zustellstatus",
            "at": "Zeitpunkt",
        },
    )
    + _table(
        "attempt_events",
        persons=(R, T, C),
        basis=Basis.TASK,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={
            "id": "laufende Nummer",
            "session_id": "zugehöriger Termin",
            "participant_id": "pseudonyme teilnehmende Person",
            "role": "Rolle",
            "at": "Zeitpunkt",
            "kind": "Art des Ereignisses beim Verbindungsversuch (für den Nachweis)",
            "detail": "technisches Detail (z. B. Fehlerart), kein Freitext",
        },
    )
    + _table(
        "caseworker_rating_markers",
        persons=(C,),
        basis=Basis.STATISTICS,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={"session_id": "dass die Fachkraft diesen Termin schon bewertet hat (ohne Inhalt)"},
    )
    + _table(
        "feedback_offers",
        persons=(R,),
        basis=Basis.STATISTICS,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={"participant_id": "dass dieser Person die Rückmeldung schon angeboten wurde"},
    )
)

_CONSENT = _table(
    "consent_records",
    persons=(R, T),
    basis=Basis.PROOF,
    retention=CONSENT,
    deleted_by=PURGE,
    data_class="Einwilligungsnachweise",
    columns={
        "id": "Kennung des Nachweises",
        "participant_id": "pseudonyme Person (ohne Namen)",
        "session_id": "Termin, für den eingewilligt wurde",
        "role": "Rolle der einwilligenden Person",
        "given_at": "Zeitpunkt der Einwilligung",
        "text_version": "Fassung des Einwilligungstextes",
        "text_sha256": "Prüfsumme des genau gezeigten Textes",
        "language": "Sprache des Textes",
        "scopes": "worin eingewilligt wurde",
        "withdrawn_at": "Zeitpunkt des Widerrufs",
    },
)

_BOOKINGS = _table(
    "bookings",
    persons=(R, C),
    basis=Basis.TASK,
    retention=BOOKING,
    deleted_by=PURGE,
    data_class="Terminbuchungen und Telefonnummern",
    columns={
        "id": "Kennung der Buchung",
        "session_id": "Videotermin, aus dem heraus gebucht wurde",
        "participant_id": "pseudonyme Person, die gebucht hat",
        "caseworker_id": "zuständige Fachkraft",
        "office_id": "Dienststelle",
        "benefit_group": "Rechtskreis",
        "channel": "Telefon oder vor Ort",
        "starts_at": "Beginn des Termins",
        "ends_at": "Ende des Termins; ab hier läuft die Löschfrist",
        "status": "Zustand (gebucht, abgesagt)",
        "phone": "Rückrufnummer für einen Telefontermin",
        "idempotency_key": "verhindert doppelte Buchung beim erneuten Absenden",
        "created_at": "Zeitpunkt der Buchung",
    },
) + _table(
    "feedback_booking_offers",
    persons=(R,),
    basis=Basis.STATISTICS,
    retention=BOOKING,
    deleted_by=PURGE,  # with its booking (ON DELETE CASCADE)
    data_class="Terminbuchungen und Telefonnummern",
    columns={"booking_id": "dass zu dieser Buchung eine Rückmeldung angeboten wurde"},
)

_RESULT = {
    "id": "zufällige Kennung",
    "benefit_group": "Rechtskreis",
    "office_id": "Dienststelle",
    "channel": "Kanal des Gesprächs",
    "month": "Monat (kein Datum, keine Uhrzeit)",
}
_FEEDBACK = (
    _table(
        "feedback_responses",
        persons=(R,),
        basis=Basis.STATISTICS,
        retention=FEEDBACK,
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={
            **_RESULT,
            "questionnaire_version": "Fassung des Fragebogens",
            "recommend": "Antwort: Weiterempfehlung",
            "next_by_video": "Antwort: nächstes Gespräch per Video",
            "satisfaction": "Antwort: Zufriedenheit",
            "technical_quality": "Antwort: technische Qualität",
            "device": "Antwort: genutztes Gerät",
            "setup_help": "Antwort: Hilfe bei der Einrichtung",
            "comment": "freiwilliger Freitext (Hinweis: keine Namen eintragen)",
            "why_not_video": "Antwort: Grund gegen Video",
            "why_not_recommend": "Antwort: Grund gegen Weiterempfehlung",
        },
    )
    + _table(
        "caseworker_ratings",
        persons=(C,),
        basis=Basis.STATISTICS,
        retention=FEEDBACK,
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={**_RESULT, "effort": "Aufwand aus Sicht der Fachkraft", "technical_quality": "technische Qualität"},
    )
    + _table(
        "check_verdicts",
        persons=(R,),
        basis=Basis.STATISTICS,
        retention=FEEDBACK,
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={
            "id": "zufällige Kennung",
            "device_class": "Geräteklasse (Telefon, Rechner)",
            "verdict": "Ergebnis des Technik-Checks",
            "benefit_group": "Rechtskreis",
            "month": "Monat",
        },
    )
    + _table(
        "feedback_offer_counts",
        persons=(),
        basis=Basis.STATISTICS,
        retention=FEEDBACK,
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={
            "benefit_group": "Rechtskreis",
            "channel": "Kanal",
            "office_key": "Dienststelle",
            "month": "Monat",
            "offers": "Anzahl angebotener Rückmeldungen (Rücklaufquote)",
        },
    )
    + _table(
        "feedback_ballots",
        persons=(R, C),
        basis=Basis.STATISTICS,
        retention=Retention("bis zur nächsten Übertragung in die Ergebnisse (gemischt, in Stapeln)"),
        deleted_by="storage.ballots:move",
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={
            "id": "zufällige Kennung",
            "kind": "Antwort oder Bewertung",
            "payload": "die Antworten bis zur Übertragung",
        },
    )
    + _table(
        "feedback_tokens",
        persons=(R,),
        basis=Basis.STATISTICS,
        retention=Retention("bis zur Nutzung oder zum Ablauf (14 Tage)"),
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={
            "token_hash": "Hash des Rückmeldelinks (einmal nutzbar)",
            "benefit_group": "Rechtskreis",
            "office_id": "Dienststelle",
            "channel": "Kanal",
            "month": "Monat",
            "valid_until": "Ablauf",
        },
    )
)

_STAFF = (
    _table(
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
            "password_hash": "Passwort-Hash (scrypt), nie das Passwort",
            "role": "Rolle (Fachkraft, Auswertung, Administration)",
            "office_id": "Dienststelle",
            "created_at": "Anlagezeitpunkt",
            "active": "ob das Konto aktiv ist",
        },
    )
    + _table(
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
    + _table(
        "password_links",
        persons=(C, A, E),
        basis=Basis.SECURITY,
        retention=Retention("bis zur Nutzung oder zum Ablauf (72 Stunden)"),
        deleted_by="storage.accounts:use_password_link",
        data_class="Konten der Beschäftigten",
        columns={"token_hash": "Hash des Links zum Setzen des Passworts", "user_id": "Konto", "expires_at": "Ablauf"},
    )
    + _table(
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
    + _table(
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
        },
    )
)

_PLANNING = (
    _table(
        "caseworker_schedules",
        persons=(C,),
        basis=Basis.EMPLOYEES,
        retention=Retention("bis zur Änderung oder Löschung des Kontos"),
        deleted_by="storage.availability:save_schedule",
        data_class="Sprechzeiten",
        columns={"caseworker_id": "Fachkraft", "slot_minutes": "Länge eines Termins", "buffer_minutes": "Puffer"},
    )
    + _table(
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
    + _table(
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
    + _table(
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
    + _table(
        "alembic_version",
        persons=(),
        basis=Basis.NONE,
        retention=Retention("solange die Datenbank besteht"),
        deleted_by=None,
        data_class="Organisationsdaten",
        columns={"version_num": "Stand des Datenbankschemas"},
    )
)

# REMOVED WITH THE PASSES (issue 23): delete this block (and its use below) once the
# signalling passes are gone.
_REMOVED_WITH_THE_PASSES = _table(
    "pass_revocations",
    persons=(R, T, C),
    basis=Basis.SECURITY,
    retention=Retention("bis die Pässe abgelaufen sind (Minuten)"),
    deleted_by="storage.revocations:RevocationFeed.read",
    data_class="Betriebsdaten",
    columns={
        "id": "laufende Nummer",
        "at": "Zeitpunkt",
        "keys": "pseudonyme Schlüssel, deren Pässe ungültig wurden",
    },
)
# END REMOVED WITH THE PASSES

TABLE_ITEMS: tuple[Item, ...] = (
    _SESSIONS
    + _PARTICIPANTS
    + _SESSION_CHILDREN
    + _CONSENT
    + _BOOKINGS
    + _FEEDBACK
    + _STAFF
    + _PLANNING
    + _REMOVED_WITH_THE_PASSES
)
