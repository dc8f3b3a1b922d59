"""Sending an invitation: e-mail over SMTP (aiosmtplib) and SMS through a provider.

``SmsProvider`` is the small port; ``HttpSmsGateway`` the one adapter, for an HTTP
SMS gateway of the kind German providers offer (seven.io's form API: ``POST`` with
``to``, ``text``, ``from`` and an ``X-Api-Key`` header, JSON answer with ``success``
``"100"``). Every failure becomes ``DeliveryFailed`` with a ``reason`` the form shows;
addresses and numbers are never logged or stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiohttp
import aiosmtplib

from rooms.domain_errors import Reasoned

__all__ = ["DeliveryFailed", "Mailer", "SmsProvider", "HttpSmsGateway"]

logger = logging.getLogger(__name__)


class DeliveryFailed(Reasoned):
    """``reason``: rejected (the address or number was refused), timeout, unavailable."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed("rejected") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed("rejected" if 500 <= exc.code < 600 else "unavailable") from exc
        except (aiosmtplib.SMTPTimeoutError, TimeoutError) as exc:
            raise DeliveryFailed("timeout") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            logger.warning("SMTP server unavailable: %s", type(exc).__name__)
            raise DeliveryFailed("unavailable") from exc


class SmsProvider(Protocol):
    async def send(self, to: str, text: str) -> None:
        """Deliver ``text`` to the E.164 number ``to``; raise ``DeliveryFailed``."""


class HttpSmsGateway:
    """An HTTP SMS gateway: one POST per message, bounded by ``timeout`` seconds."""

    def __init__(self, url: str, api_key: str, sender: str, timeout: float = 10.0) -> None:
        self._url = url
        self._api_key = api_key
        self._sender = sender
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, to: str, text: str) -> None:
        form = {"to": to, "text": text, "from": self._sender}
        headers = {"X-Api-Key": self._api_key, "Accept": "application/json"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as http,
                http.post(self._url, data=form, headers=headers) as resp,
            ):
                if resp.status >= 500:
                    raise DeliveryFailed("unavailable")
                if resp.status >= 400:
                    raise DeliveryFailed("rejected")
                answer = await resp.json(content_type=None)
        except TimeoutError as exc:
            raise DeliveryFailed("timeout") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            logger.warning("SMS gateway unavailable: %s", type(exc).__name__)
            raise DeliveryFailed("unavailable") from exc
        success = str(answer.get("success", "")) if isinstance(answer, dict) else ""
        if success != "100":
            raise DeliveryFailed("rejected")
