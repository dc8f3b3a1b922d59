"""The inventory of what lives outside the database: Redis keys, cookies, log fields, metric labels."""

from __future__ import annotations

from recordings_policy.inventory import Basis, Item, Kind, Person, Retention
from recordings_policy.retention import Category

__all__ = ["RUNTIME_ITEMS"]

R, T = Person.RECIPIENT, Person.INTERPRETER  # T: third person
C, A, E = Person.CASEWORKER, Person.ADMIN, Person.EVALUATOR
EVERYONE = (R, T, C, A, E)
LIVE = "Laufzeitdaten (Redis)"
COOKIES = "Cookies"
LOGS = Retention("ab Eintrag; Aufbewahrung der Protokolle beim Betrieb", Category.LOGS, 30)


def _redis(pattern: str, purpose: str, persons: tuple[Person, ...], rule: str, deleted_by: str | None) -> Item:
    return Item(Kind.REDIS_KEY, pattern, purpose, persons, Basis.TASK, Retention(rule), deleted_by, LIVE)


_REDIS = (
    _redis(
        "{prefix}:wait:{session}",
        "Warteraum eines Termins: pseudonyme Kennungen und Ankunftszeit",
        (R, T),
        "bis zur Zulassung, Absage oder zum Verlassen; ohne Herzschlag verfällt der Eintrag",
        "storage.redis_waiting_room:RedisWaitingRoom.leave",
    ),
    _redis(
        "{prefix}:wait:{session}:hb:{participant}",
        "Herzschlag einer wartenden Person (ob ihre Seite noch offen ist)",
        (R, T),
        "TTL (Sekunden; PRESENCE_TTL_SECONDS)",
        "storage.redis_waiting_room:RedisWaitingRoom.leave",
    ),
    _redis(
        "{prefix}:peer:{sid}",
        "Anwesenheit einer Verbindung (Rolle, pseudonyme Person, Knoten), für mehrere Knoten",
        (R, T, C),
        "TTL (PRESENCE_TTL_SECONDS), erneuert solange die Verbindung besteht",
        "signaling.presence:RedisPresence.leave",
    ),
    _redis(
        "{prefix}:call:{session}",
        "wer gerade im Gespräch eines Termins ist (Verbindungskennungen)",
        (R, T, C),
        "TTL (PRESENCE_TTL_SECONDS), erneuert solange jemand im Gespräch ist",
        "signaling.presence:RedisPresence.leave",
    ),
    _redis(
        "{prefix}:watch",
        "Verbindungen, deren Knoten ausfallen könnte (Termin, pseudonyme Person, Verbindung)",
        (R, T, C),
        "bis die Verbindung endet oder als gegangen gemeldet ist",
        "signaling.presence:RedisPresence.leave",
    ),
    _redis(
        "{prefix}:gone",
        "geplante Abmeldungen nach Ablauf der Wiederkehr-Frist (pseudonyme Person)",
        (R, T, C),
        "bis zum Ablauf der Frist (REJOIN_GRACE_SECONDS)",
        "signaling.presence:RedisPresence.lapsed",
    ),
    _redis(
        "{prefix}:sockets:{participant}",
        "offene Verbindungen einer pseudonymen Person auf allen Knoten (Verbindungskennungen), für die Obergrenze",
        (R, T, C),
        "TTL (PRESENCE_TTL_SECONDS), erneuert solange eine Verbindung besteht",
        "signaling.presence:RedisPresence.release",
    ),
    _redis(
        "{prefix}:socketio",
        "Kanal (Publish/Subscribe, kein gespeicherter Schlüssel) zwischen den Knoten: Signalisierung im Transit, "
        "darin SDP und ICE-Kandidaten mit IP-Adressen der Geräte",
        (R, T, C),
        "nicht gespeichert: Redis leitet Nachrichten nur weiter",
        None,
    ),
    _redis(
        "{prefix}:lock:{name}",
        "Sperre, damit nur ein Knoten den Löschlauf ausführt (kein Personenbezug)",
        (),
        "TTL (PURGE_INTERVAL_SECONDS)",
        "storage.redis_lock:IntervalLock",
    ),
    _redis(
        "{prefix}:rate:{digest}",
        "Zähler gegen Missbrauch von Buchung und Rückmeldecode: gekürzter SHA-256 der pseudonymen "
        "Teilnehmerkennung bzw. der IP-Adresse (nie im Klartext)",
        (R,),
        "TTL (bis der Zähler wieder voll ist, höchstens Minuten)",
        "storage.redis_rate_limit:RedisRateLimiter",
    ),
)


def _cookie(name: str, purpose: str, persons: tuple[Person, ...], rule: str, deleted_by: str | None = None) -> Item:
    """A cookie; the browser deletes it when it expires, ``deleted_by`` earlier."""
    return Item(Kind.COOKIE, name, purpose, persons, Basis.TERMINAL, Retention(rule), deleted_by, COOKIES)


_COOKIES = (
    _cookie(
        "vb_login",
        "Anmeldung der Beschäftigten (HttpOnly, SameSite)",
        (C, A, E),
        "bis Abmeldung, höchstens 10 Stunden",
        "web.views.auth:logout",
    ),
    _cookie("vb_csrf", "Schutz der Formulare gegen Cross-Site-Request-Forgery", EVERYONE, "Sitzung des Browsers"),
    _cookie("vb_lang", "gewählte Sprache der Seiten", EVERYONE, "1 Jahr"),
    _cookie(
        "vb_participant",
        "erkennt das Gerät der teilnehmenden Person im Termin wieder (pseudonym)",
        (R, T),
        "Sitzung des Browsers",
    ),
    _cookie("vb_feedback", "einmaliger Link zur freiwilligen Rückmeldung, nur für /feedback", (R,), "2 Stunden"),
    _cookie(
        "vb_feedback_link",
        "zeigt denselben Rückmeldelink nach einem Neuladen der Abschlussseite",
        (R,),
        "bis zum Ablauf des Links (14 Tage)",
    ),
)

# The fields of a JSON log line (web/logs.py); the text form carries the same.
_LOG_FIELDS = tuple(
    Item(Kind.LOG_FIELD, name, purpose, persons, Basis.SECURITY, LOGS, None, "Protokolle")
    for name, purpose, persons in (
        ("time", "Zeitpunkt", ()),
        ("level", "Schwere", ()),
        ("logger", "Programmteil", ()),
        ("message", "Meldung; Pfade mit Tokens geschwärzt, keine Namen, Tokens oder Telefonnummern", EVERYONE),
        ("request_id", "Kennung der Anfrage, um Meldungen einer Anfrage zuzuordnen", ()),
        ("exc_info", "Fehlerverlauf (Programmzeilen, keine Eingaben)", ()),
        ("taskName", "Name der asyncio-Aufgabe", ()),
    )
)


def _label(name: str, purpose: str) -> Item:
    return Item(
        Kind.METRIC_LABEL,
        name,
        purpose,
        (),
        Basis.NONE,
        Retention("nicht gespeichert; Zähler im Speicher des Knotens bis zum Neustart"),
        None,
        "Betriebskennzahlen",
    )


# Labels as "<metric>{<label>}" on /metrics; values are fixed sets (roles, events, codes).
_LABELS = (
    _label("videoberatung_sockets{role}", "offene Verbindungen je Rolle"),
    _label("videoberatung_events_relayed{event}", "weitergeleitete Signalisierungsnachrichten je Art"),
    _label("videoberatung_events_refused{code}", "abgelehnte Ereignisse je Fehlercode"),
    _label("videoberatung_purge_rows{kind}", "gelöschte Zeilen je Datenart"),
    _label("videoberatung_call_setup_seconds{le}", "Verteilung der Aufbauzeit (Histogramm-Grenze)"),
    _label("videoberatung_admission_wait_seconds{le}", "Verteilung der Wartezeit (Histogramm-Grenze)"),
)

RUNTIME_ITEMS: tuple[Item, ...] = _REDIS + _COOKIES + _LOG_FIELDS + _LABELS
