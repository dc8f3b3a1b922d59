"""What an invitation by e-mail or SMS says, in the invitation's language.

Neither the authority nor the law is named, since the text shows on lock screens. The
texts are gettext messages (marked ``N_``, in the web catalogues with every other text, so
they get the same translation checks); the caller passes the ``translate`` function of
the invitation's language. An SMS is counted as the network counts it: GSM-7 (160
septets, 153 a part when split) or, with any other character, UCS-2 (70 UTF-16 units,
67 a part); an invitation SMS may take at most ``MAX_SEGMENTS`` parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from rooms.invitation_codes import gsm7_length

__all__ = [
    "Translate",
    "SmsLength",
    "sms_length",
    "sms_text",
    "mail_subject",
    "mail_body",
    "SMS_LIMIT",
    "MAX_SEGMENTS",
    "MESSAGES",
]

Translate = Callable[[str], str]

SMS_LIMIT = 160  # one GSM-7 segment
MAX_SEGMENTS = 2
_BERLIN = ZoneInfo("Europe/Berlin")


def N_(message: str) -> str:
    """Mark a message for extraction; the caller's ``translate`` translates it."""
    return message


_SMS_AT = N_("Your video appointment on {date} at {time}: {link}")
_SMS_NOW = N_("Your invitation to a video appointment: {link}")
_SUBJECT = N_("Your invitation to a video appointment")
_HELLO = N_("Hello,")
_INVITED_AT = N_("You are invited to a video appointment on {date} at {time}.")
_INVITED_NOW = N_("You are invited to a video appointment.")
_OPEN = N_("Open this link on your phone or computer:")
_NO_APP = N_(
    "You need no account and no app. If video does not work for you, "
    "you can book an appointment by phone or in person on that page."
)
MESSAGES = (_SMS_AT, _SMS_NOW, _SUBJECT, _HELLO, _INVITED_AT, _INVITED_NOW, _OPEN, _NO_APP)


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    """How the network sends ``text``: its encoding, length in that encoding, and parts."""
    septets = gsm7_length(text)
    if septets is not None:
        return SmsLength("GSM-7", septets, 1 if septets <= 160 else -(-septets // 153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("UCS-2", units, 1 if units <= 70 else -(-units // 67))


def _moment(scheduled_at: datetime) -> dict[str, str]:
    local = scheduled_at.astimezone(_BERLIN)
    return {"date": local.strftime("%d.%m.%Y"), "time": local.strftime("%H:%M")}


def sms_text(translate: Translate, link: str, scheduled_at: datetime | None) -> str:
    if scheduled_at is None:
        return translate(_SMS_NOW).format(link=link)
    return translate(_SMS_AT).format(link=link, **_moment(scheduled_at))


def mail_subject(translate: Translate) -> str:
    return translate(_SUBJECT)


def mail_body(translate: Translate, link: str, scheduled_at: datetime | None) -> str:
    if scheduled_at is None:
        invited = translate(_INVITED_NOW)
    else:
        invited = translate(_INVITED_AT).format(**_moment(scheduled_at))
    return f"{translate(_HELLO)}\n\n{invited}\n\n{translate(_OPEN)}\n{link}\n\n{translate(_NO_APP)}\n"
