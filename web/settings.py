"""Settings: one frozen dataclass, read from the environment in ``main()`` only."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from recordings_policy import DEFAULT_POLICY
from rooms.turn import parse_list

__all__ = ["Settings", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """Everything ``create_app`` needs; tests build their own."""

    instance_path: Path
    database_url: str
    database_schema: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "vb"
    # Presence and waiting-room heartbeats in Redis live this long unless their node
    # refreshes them (every third of it): how long a killed node's entries linger.
    presence_ttl_seconds: float = 15.0
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    secure_cookies: bool = False
    default_language: str = "de"
    invitation_issuer: str = "videoberatung"
    invitation_audience: str = "videoberatung:join"
    rejoin_grace_seconds: float = 30.0
    # socket.io heartbeats: a silent socket counts as gone after interval + timeout. A
    # shorter drop (a tunnel, Wi-Fi to mobile data) never reaches the grace at all.
    socket_ping_interval_seconds: float = 20.0
    socket_ping_timeout_seconds: float = 20.0
    # After this long in the waiting room the page offers a phone or in-person appointment.
    waiting_patience_seconds: float = 900.0
    policy_path: Path = DEFAULT_POLICY
    # How often the in-process purge runs; 0 turns it off (e.g. when cron runs ``purge``).
    purge_interval_seconds: float = 3600.0
    # TURN relay (coturn with use-auth-secret); no URLs means no TURN, local candidates only.
    turn_urls: tuple[str, ...] = ()
    # The first secret issues credentials; a second one is still accepted during a rotation.
    turn_secrets: tuple[str, ...] = ()
    turn_ttl_seconds: float = 3600.0
    # The pre-call check's echo peer: at most this many at once per node, each this long.
    check_max_concurrent: int = 4
    check_seconds: float = 30.0
    # Each Redis client's pool: work beyond this many connections waits for a free one.
    redis_max_connections: int = 50
    # /metrics answers these addresses (IPs or networks), or a request bearing the token.
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_token: str | None = None
    # On SIGTERM: /readyz answers 503 and sockets are closed at once; the node keeps
    # answering HTTP this long, so a load balancer sees it and routes elsewhere, then exits.
    drain_seconds: float = 0.0
    # "text" (default) or "json": one JSON object per line, with the request id.
    log_format: str = "text"
    # Behind a reverse proxy that sets X-Forwarded-For: login throttling per client address.
    trust_forwarded_for: bool = False
    # Login attempts at once per client address and per node, before any password is hashed.
    login_attempts_per_address: int = 10
    login_attempts_per_node: int = 30
    # An engine.io connection that has not sent the socket.io CONNECT by then is closed.
    socket_connect_timeout_seconds: float = 10.0
    # Feedback ballot box: how often (on average, randomised) waiting answers are moved into
    # the results, and the smallest batch that may move (k >= 5); 0 turns the mover off.
    ballot_interval_seconds: float = 900.0
    ballot_min_batch: int = 5
    # Invitations by e-mail (unset host: no e-mail button) and SMS (unset URL: no SMS button).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "videoberatung@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sms_gateway_url: str | None = None
    sms_api_key: str = ""
    sms_sender: str = "Termin"
    delivery_timeout_seconds: float = 10.0
    # A call page that has no connection this long after its peer appeared says so, logs
    # it and offers the proof of the failed attempt (it keeps trying meanwhile).
    connect_timeout_seconds: float = 30.0
    # Where people report a barrier (the accessibility statement, § 12b BGG).
    accessibility_email: str = "barrierefreiheit@jobcenter.example"
    # The argon2id cost of new password hashes (RFC 9106's low-memory profile, about 0.1 s
    # each; argon2-cffi's default). Tests lower it; a verify always uses the stored hash's own.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # How long a connection may take to send a complete request (and stay idle between two).
    header_timeout_seconds: float = 15.0
    # Tests only: every translated string is marked, to find text outside the catalogues.
    pseudo_locale: bool = False
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

    def __post_init__(self) -> None:
        if self.argon2_time_cost < 1 or self.argon2_parallelism < 1:
            raise ValueError("argon2 time cost and parallelism must be at least 1")
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("argon2 memory must be at least 8 KiB per lane")
        if self.header_timeout_seconds <= 0:
            raise ValueError("the header timeout must be positive")

    @property
    def signing_key_path(self) -> Path:
        return self.instance_path / "invitation-signing-key.pem"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        instance = Path(env.get("INSTANCE_PATH", "instance")).resolve()
        default_db = f"sqlite+aiosqlite:///{instance / 'videoberatung.sqlite3'}"
        return cls(
            instance_path=instance,
            database_url=env.get("DATABASE_URL", default_db),
            database_schema=env.get("DATABASE_SCHEMA") or None,
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("REDIS_PREFIX") or "vb",
            presence_ttl_seconds=float(env.get("PRESENCE_TTL_SECONDS", "15")),
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8080")),
            public_url=env.get("PUBLIC_URL") or None,
            secure_cookies=env.get("SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            rejoin_grace_seconds=float(env.get("REJOIN_GRACE_SECONDS", "30")),
            socket_ping_interval_seconds=float(env.get("SOCKET_PING_INTERVAL_SECONDS", "20")),
            socket_ping_timeout_seconds=float(env.get("SOCKET_PING_TIMEOUT_SECONDS", "20")),
            waiting_patience_seconds=float(env.get("WAITING_PATIENCE_SECONDS", "900")),
            policy_path=Path(env.get("POLICY_PATH") or DEFAULT_POLICY),
            purge_interval_seconds=float(env.get("PURGE_INTERVAL_SECONDS", "3600")),
            turn_urls=parse_list(env.get("TURN_URLS", "")),
            turn_secrets=parse_list(env.get("TURN_SECRETS", "")),
            turn_ttl_seconds=float(env.get("TURN_TTL_SECONDS", "3600")),
            check_max_concurrent=int(env.get("CHECK_MAX_CONCURRENT", "4")),
            check_seconds=float(env.get("CHECK_SECONDS", "30")),
            redis_max_connections=int(env.get("REDIS_MAX_CONNECTIONS", "50")),
            metrics_allow=parse_list(env.get("METRICS_ALLOW", "127.0.0.1,::1")),
            metrics_token=env.get("METRICS_TOKEN") or None,
            drain_seconds=float(env.get("DRAIN_SECONDS", "0")),
            log_format=env.get("LOG_FORMAT", "text").lower(),
            trust_forwarded_for=env.get("TRUST_FORWARDED_FOR", "").lower() in ("1", "true", "yes"),
            login_attempts_per_address=int(env.get("LOGIN_ATTEMPTS_PER_ADDRESS", "10")),
            login_attempts_per_node=int(env.get("LOGIN_ATTEMPTS_PER_NODE", "30")),
            ballot_interval_seconds=float(env.get("BALLOT_INTERVAL_SECONDS", "900")),
            ballot_min_batch=int(env.get("BALLOT_MIN_BATCH", "5")),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=int(env.get("SMTP_PORT", "25")),
            smtp_from=env.get("SMTP_FROM") or "videoberatung@localhost",
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_starttls=env.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            sms_gateway_url=env.get("SMS_GATEWAY_URL") or None,
            sms_api_key=env.get("SMS_API_KEY", ""),
            sms_sender=env.get("SMS_SENDER") or "Termin",
            delivery_timeout_seconds=float(env.get("DELIVERY_TIMEOUT_SECONDS", "10")),
            connect_timeout_seconds=float(env.get("CONNECT_TIMEOUT_SECONDS", "30")),
            accessibility_email=env.get("ACCESSIBILITY_EMAIL") or "barrierefreiheit@jobcenter.example",
        )
