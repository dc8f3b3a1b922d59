"""What an invitation by e-mail or SMS says: neither the authority nor the law is named,
since the text shows on lock screens. One SMS segment (160 GSM-7 characters) at most.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["sms_text", "mail_subject", "mail_body", "SMS_LIMIT"]

SMS_LIMIT = 160
_BERLIN = ZoneInfo("Europe/Berlin")

_SMS = {
    "de": "Ihre Einladung zur Videoberatung{when}: {link}",
    "en": "Your invitation to a video appointment{when}: {link}",
}
_WHEN = {"de": " am {date} um {time} Uhr", "en": " on {date} at {time}"}
_SUBJECT = {"de": "Ihre Einladung zur Videoberatung", "en": "Your invitation to a video appointment"}
_BODY = {
    "de": (
        "Guten Tag,\n\nSie sind zu einer Videoberatung eingeladen{when}.\n\n"
        "Öffnen Sie diesen Link auf Ihrem Handy oder Computer:\n{link}\n\n"
        "Sie brauchen kein Konto und keine App. Wenn Video für Sie nicht geht, können Sie auf der Seite "
        "einen Termin per Telefon oder vor Ort buchen.\n"
    ),
    "en": (
        "Hello,\n\nyou are invited to a video appointment{when}.\n\n"
        "Open this link on your phone or computer:\n{link}\n\n"
        "You need no account and no app. If video does not work for you, you can book an appointment "
        "by phone or in person on that page.\n"
    ),
}


def _when(language: str, scheduled_at: datetime | None) -> str:
    if scheduled_at is None:
        return ""
    local = scheduled_at.astimezone(_BERLIN)
    return _WHEN.get(language, _WHEN["de"]).format(date=local.strftime("%d.%m.%Y"), time=local.strftime("%H:%M"))


def sms_text(language: str, link: str, scheduled_at: datetime | None) -> str:
    return _SMS.get(language, _SMS["de"]).format(when=_when(language, scheduled_at), link=link)


def mail_subject(language: str) -> str:
    return _SUBJECT.get(language, _SUBJECT["de"])


def mail_body(language: str, link: str, scheduled_at: datetime | None) -> str:
    return _BODY.get(language, _BODY["de"]).format(when=_when(language, scheduled_at), link=link)
