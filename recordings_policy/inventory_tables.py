"""The inventory of the database: every column of every table the migrations create."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Person, Retention, Table, table_items
from recordings_policy.inventory_staff import STAFF_ITEMS
from recordings_policy.retention import Category

__all__ = ["TABLE_ITEMS"]

R, C, T = Person.RECIPIENT, Person.CASEWORKER, Person.INTERPRETER  # T: third person
PURGE = "storage.purge:purge"

SESSION = Retention("ab Ende des Termins, sonst ab Anlage", Category.SESSION_METADATA, 90)
CONSENT = Retention("ab Erteilung; Verjährungsfrist § 195 BGB", Category.CONSENT_RECORDS, 1095)
BOOKING = Retention("ab dem gebuchten Termin", Category.BOOKINGS_AND_PHONE_NUMBERS, 7)
FEEDBACK = Retention("ab dem Monat der Antwort", Category.FEEDBACK, 730)


_SESSIONS = table_items(
    "Termindaten",
    Table(
        "counsel_sessions",
        (R, C),
        Basis.TASK,
        SESSION,
        PURGE,
        {
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
    ),
)

_PARTICIPANTS = table_items(
    "Termindaten",
    Table(
        "participants",
        # The caseworker's own row in the session is processed as staff data (Basis.EMPLOYEES);
        # what identifies the recipient and the third person rests on their consent.
        (R, T, C),
        Basis.CONSENT,
        SESSION,
        PURGE,  # with its session (ON DELETE CASCADE)
        {
            "id": "pseudonyme Kennung der teilnehmenden Person in diesem Termin (kein Name)",
            "session_id": "zugehöriger Termin",
            "role": "Rolle im Termin (leistungsberechtigte Person, Dolmetscher/in)",
            "secret_hash": "Hash des Geräte-Geheimnisses (Cookie), zur Wiedererkennung des Geräts",
            "admission": "Stand der Zulassung aus dem Warteraum",
            "created_at": "Zeitpunkt des Öffnens der Einladung",
            "via_link": "ob die Person über den Einladungslink kam",
            "moved_at": "wann der Link zuletzt auf ein anderes Gerät wechselte",
        },
    ),
)

_SESSION_CHILDREN = table_items(
    "Termindaten",
    Table(
        "invitation_codes",
        (R,),
        Basis.TASK,
        SESSION,
        PURGE,  # with its session (ON DELETE CASCADE)
        {
            "code_hash": "Hash des kurzen Einladungscodes (der Code selbst wird nicht gespeichert)",
            "session_id": "zugehöriger Termin",
            "jti": "Kennung der Einladung",
            "not_before": "ab wann der Code gilt",
            "expires_at": "bis wann der Code gilt",
        },
    ),
    Table(
        "invitation_deliveries",
        (R,),
        Basis.TASK,
        SESSION,
        PURGE,
        {
            "id": "laufende Nummer",
            "session_id": "zugehöriger Termin",
            "channel": "Versandweg der Einladung (ohne Adresse oder Nummer)",
            "state": "Zustellstatus",
            "at": "Zeitpunkt",
        },
    ),
    Table(
        "attempt_events",
        (R, T, C),
        Basis.CONSENT,
        SESSION,
        PURGE,
        {
            "id": "laufende Nummer",
            "session_id": "zugehöriger Termin",
            "participant_id": "pseudonyme teilnehmende Person",
            "role": "Rolle",
            "at": "Zeitpunkt",
            "kind": "Art des Ereignisses beim Verbindungsversuch (für den Nachweis)",
            "detail": "technisches Detail (z. B. Fehlerart), kein Freitext",
        },
    ),
    Table(
        "caseworker_rating_markers",
        (C,),
        Basis.STATISTICS,
        SESSION,
        PURGE,
        {"session_id": "dass die Fachkraft diesen Termin schon bewertet hat (ohne Inhalt)"},
    ),
    Table(
        "feedback_offers",
        (R,),
        Basis.STATISTICS,
        SESSION,
        PURGE,
        {"participant_id": "dass dieser Person die Rückmeldung schon angeboten wurde"},
    ),
)

_CONSENT = table_items(
    "Einwilligungsnachweise",
    Table(
        "consent_records",
        (R, T),
        Basis.PROOF,
        CONSENT,
        PURGE,
        {
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
    ),
)

_BOOKINGS = table_items(
    "Terminbuchungen und Telefonnummern",
    Table(
        "bookings",
        (R, C),
        Basis.TASK,
        BOOKING,
        PURGE,
        {
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
    ),
    Table(
        "feedback_booking_offers",
        (R,),
        Basis.STATISTICS,
        BOOKING,
        PURGE,  # with its booking (ON DELETE CASCADE)
        {"booking_id": "dass zu dieser Buchung eine Rückmeldung angeboten wurde"},
    ),
)

_RESULT = {
    "id": "zufällige Kennung",
    "benefit_group": "Rechtskreis",
    "office_id": "Dienststelle",
    "channel": "Kanal des Gesprächs",
    "month": "Monat (kein Datum, keine Uhrzeit)",
}
_FEEDBACK = table_items(
    "Anonyme Rückmeldungen und Prüfergebnisse",
    Table(
        "feedback_responses",
        (R,),
        Basis.STATISTICS,
        FEEDBACK,
        PURGE,
        {
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
    ),
    Table(
        "caseworker_ratings",
        (C,),
        Basis.STATISTICS,
        FEEDBACK,
        PURGE,
        {**_RESULT, "effort": "Aufwand aus Sicht der Fachkraft", "technical_quality": "technische Qualität"},
    ),
    Table(
        "check_verdicts",
        (R,),
        Basis.STATISTICS,
        FEEDBACK,
        PURGE,
        {
            "id": "zufällige Kennung",
            "device_class": "Geräteklasse (Telefon, Rechner)",
            "verdict": "Ergebnis des Technik-Checks",
            "benefit_group": "Rechtskreis",
            "month": "Monat",
        },
    ),
    Table(
        "feedback_offer_counts",
        (),
        Basis.STATISTICS,
        FEEDBACK,
        PURGE,
        {
            "benefit_group": "Rechtskreis",
            "channel": "Kanal",
            "office_key": "Dienststelle",
            "month": "Monat",
            "offers": "Anzahl angebotener Rückmeldungen (Rücklaufquote)",
        },
    ),
    Table(
        "feedback_ballots",
        (R, C),
        Basis.STATISTICS,
        Retention("bis zur nächsten Übertragung in die Ergebnisse (gemischt, in Stapeln)"),
        "storage.ballots:move",
        {
            "id": "zufällige Kennung",
            "kind": "Antwort oder Bewertung",
            "payload": "die Antworten bis zur Übertragung",
        },
    ),
    Table(
        "feedback_tokens",
        (R,),
        Basis.STATISTICS,
        Retention("bis zur Nutzung oder zum Ablauf (14 Tage)"),
        PURGE,
        {
            "token_hash": "Hash des Rückmeldelinks (einmal nutzbar)",
            "benefit_group": "Rechtskreis",
            "office_id": "Dienststelle",
            "channel": "Kanal",
            "month": "Monat",
            "valid_until": "Ablauf",
        },
    ),
)

TABLE_ITEMS: tuple[Item, ...] = (
    _SESSIONS + _PARTICIPANTS + _SESSION_CHILDREN + _CONSENT + _BOOKINGS + _FEEDBACK + STAFF_ITEMS
)
