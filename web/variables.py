"""The environment variables ``serve`` reads: checked before anything starts.

``check(env)`` raises ``BadSetting`` naming the first variable with a value that cannot
work (``PORT=abc``, a negative TTL, a URL of an unknown scheme); ``videoberatung`` then
exits with code 2. ``VARIABLES`` is also what README's configuration table lists (a test
keeps the two the same). A variable added to ``Settings.from_env`` but not here is still
named when its value does not parse: ``read_settings`` remembers the last one read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rooms.turn import parse_list
from web.settings import Settings

__all__ = ["BadSetting", "Variable", "VARIABLES", "check", "read_settings"]


class BadSetting(ValueError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


def _number(kind: type[int] | type[float], minimum: float, strict: bool) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"not a {'whole ' if kind is int else ''}number: {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {value!r}")
        if number < minimum or (strict and number == minimum):
            raise ValueError(f"must be {'more than' if strict else 'at least'} {minimum:g}")

    return check


def _positive(value: str) -> None:
    _number(float, 0, True)(value)


def _not_negative(value: str) -> None:
    _number(float, 0, False)(value)


def _count(value: str) -> None:
    _number(int, 1, False)(value)


def _at_least(minimum: int) -> Callable[[str], None]:
    return _number(int, minimum, strict=False)


def _port(value: str) -> None:
    _number(int, 1, False)(value)
    if int(value) > 65535:
        raise ValueError("must be at most 65535")


def _schemes(*allowed: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        scheme = urlsplit(value).scheme
        if scheme not in allowed:
            raise ValueError(f"unknown URL scheme {scheme!r}; expected one of {', '.join(allowed)}")

    return check


def _turn_urls(value: str) -> None:
    for url in parse_list(value):
        if not url.startswith(("turn:", "turns:", "stun:")):
            raise ValueError(f"{url!r}: a TURN URL starts with turn:, turns: or stun:")


def _networks(value: str) -> None:
    for entry in parse_list(value):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an address or network") from None


def _file(value: str) -> None:
    if not Path(value).is_file():
        raise ValueError(f"no such file: {value}")


def _choice(*allowed: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value.lower() not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")

    return check


def _bool(value: str) -> None:
    _choice("", "0", "1", "true", "false", "yes", "no", "on", "off")(value)


def _any(value: str) -> None:
    pass


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # as README shows it
    meaning: str
    valid: Callable[[str], None] = _any


VARIABLES: tuple[Variable, ...] = (
    Variable("INSTANCE_PATH", "`./instance`", "folder for the SQLite file and the invitation signing key"),
    Variable(
        "DATABASE_URL",
        "`sqlite+aiosqlite:///<instance>/videoberatung.sqlite3`",
        "SQLAlchemy URL; PostgreSQL: `postgresql+asyncpg://user@host/db`",
        _schemes("sqlite+aiosqlite", "postgresql+asyncpg"),
    ),
    Variable("DATABASE_SCHEMA", "unset", "PostgreSQL schema to use (search_path)"),
    Variable("HOST", "`127.0.0.1`", "address to listen on"),
    Variable("PORT", "`8080`", "port to listen on", _port),
    Variable("PUBLIC_URL", "the request's origin", "the external origin", _schemes("http", "https")),
    Variable("SECURE_COOKIES", "off", "`1` behind HTTPS", _bool),
    Variable("REJOIN_GRACE_SECONDS", "`30`", "how long a dropped participant keeps their place", _positive),
    Variable("WAITING_PATIENCE_SECONDS", "`900`", "after this long waiting, offer another appointment", _positive),
    Variable("POLICY_PATH", "the bundled `policy.toml`", "the retention policy file", _file),
    Variable("PURGE_INTERVAL_SECONDS", "`3600`", "how often the retention purge runs; `0` turns it off", _not_negative),
    Variable("REDIS_URL", "unset (one node)", "Redis for several nodes", _schemes("redis", "rediss", "unix")),
    Variable("REDIS_PREFIX", "`vb`", "prefix of every Redis key of this deployment"),
    Variable("REDIS_MAX_CONNECTIONS", "`50`", "connections per Redis client; more work waits", _count),
    Variable("PRESENCE_TTL_SECONDS", "`15`", "how long a dead node's presence lingers in Redis", _positive),
    Variable("TURN_URLS", "unset (no TURN)", "comma-separated TURN URLs", _turn_urls),
    Variable("TURN_SECRETS", "unset", "comma-separated coturn `static-auth-secret`s"),
    Variable("TURN_TTL_SECONDS", "`3600`", "lifetime of issued TURN credentials", _positive),
    Variable("CHECK_MAX_CONCURRENT", "`4`", "pre-call echo checks at once per node", _count),
    Variable("CHECK_SECONDS", "`30`", "longest a pre-call check may run", _positive),
    Variable("METRICS_ALLOW", "`127.0.0.1,::1`", "addresses or networks that may read `/metrics`", _networks),
    Variable("METRICS_TOKEN", "unset", "a bearer token that may read `/metrics` from anywhere"),
    Variable("DRAIN_SECONDS", "`0`", "on SIGTERM, keep answering (`/readyz` 503) this long", _not_negative),
    Variable("LOG_FORMAT", "`text`", "`json` for one JSON object per line", _choice("text", "json")),
    Variable("BALLOT_INTERVAL_SECONDS", "`900`", "average time between feedback ballot moves", _not_negative),
    Variable("BALLOT_MIN_BATCH", "`5`", "smallest batch of answers moved into the results", _at_least(5)),
    Variable("SMTP_HOST", "unset", "SMTP server for invitation e-mails"),
    Variable("SMTP_PORT", "`25`", "its port", _port),
    Variable("SMTP_FROM", "`videoberatung@localhost`", "sender address of invitation e-mails"),
    Variable("SMTP_STARTTLS", "off", "`1`: STARTTLS before sending", _bool),
    Variable("SMS_GATEWAY_URL", "unset", "HTTP SMS gateway", _schemes("http", "https")),
    Variable("SMS_API_KEY", "empty", "the gateway's API key"),
    Variable("SMS_SENDER", "`Termin`", "sender name shown on the phone"),
    Variable("DELIVERY_TIMEOUT_SECONDS", "`10`", "longest wait for SMTP or the SMS gateway", _positive),
    Variable("ACCESSIBILITY_EMAIL", "`barrierefreiheit@jobcenter.example`", "where people report a barrier"),
    Variable("CONNECT_TIMEOUT_SECONDS", "`30`", "longest wait for a connection before the proof is offered", _positive),
    Variable("TRUST_FORWARDED_FOR", "off", "`1` behind a proxy setting `X-Forwarded-For`", _bool),
    Variable("LOGIN_ATTEMPTS_PER_ADDRESS", "`10`", "login attempts a minute per client address", _count),
    Variable("LOGIN_ATTEMPTS_PER_NODE", "`30`", "login attempts at once per node", _count),
)


def check(env: Mapping[str, str]) -> None:
    """Raise ``BadSetting`` for the first variable whose value cannot work (empty means unset)."""
    for variable in VARIABLES:
        value = env.get(variable.name, "")
        if value == "":
            continue
        try:
            variable.valid(value)
        except ValueError as exc:
            raise BadSetting(variable.name, str(exc)) from None


class _Reading(Mapping[str, str]):
    """The environment, remembering the last variable ``Settings.from_env`` read."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.last: str | None = None

    def __getitem__(self, key: str) -> str:
        self.last = key
        return self._env[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.last = key
        return self._env.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def read_settings(env: Mapping[str, str]) -> Settings:
    """``check`` then ``Settings.from_env``; ``BadSetting`` names the variable either way."""
    check(env)
    reading = _Reading(env)
    try:
        return Settings.from_env(reading)
    except ValueError as exc:
        raise BadSetting(reading.last or "settings", str(exc)) from None
