"""The inventory of the database: every column of every table the migrations create."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Person, Retention, column_items
from recordings_policy.inventory_staff import STAFF_ITEMS
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


_SESSIONS = column_items(
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

_PARTICIPANTS = column_items(
    "participants",
    # The caseworker's own row in the session is processed as staff data (Basis.EMPLOYEES);
    # what identifies the recipient and the third person rests on their consent.
    persons=(R, T, C),
    basis=Basis.CONSENT,
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
    column_items(
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
    + column_items(
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
    + column_items(
        "attempt_events",
        persons=(R, T, C),
        basis=Basis.CONSENT,
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
    + column_items(
        "caseworker_rating_markers",
        persons=(C,),
        basis=Basis.STATISTICS,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={"session_id": "dass die Fachkraft diesen Termin schon bewertet hat (ohne Inhalt)"},
    )
    + column_items(
        "feedback_offers",
        persons=(R,),
        basis=Basis.STATISTICS,
        retention=SESSION,
        deleted_by=PURGE,
        data_class="Termindaten",
        columns={"participant_id": "dass dieser Person die Rückmeldung schon angeboten wurde"},
    )
)

_CONSENT = column_items(
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

_BOOKINGS = column_items(
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
) + column_items(
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
    column_items(
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
    + column_items(
        "caseworker_ratings",
        persons=(C,),
        basis=Basis.STATISTICS,
        retention=FEEDBACK,
        deleted_by=PURGE,
        data_class="Anonyme Rückmeldungen und Prüfergebnisse",
        columns={**_RESULT, "effort": "Aufwand aus Sicht der Fachkraft", "technical_quality": "technische Qualität"},
    )
    + column_items(
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
    + column_items(
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
    + column_items(
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
    + column_items(
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

TABLE_ITEMS: tuple[Item, ...] = (
    _SESSIONS + _PARTICIPANTS + _SESSION_CHILDREN + _CONSENT + _BOOKINGS + _FEEDBACK + STAFF_ITEMS
)
