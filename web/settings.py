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
    # Where people report a barrier (the accessibility statement, § 12b BGG).
    accessibility_email: str = "barrierefreiheit@jobcenter.example"
    # Tests only: every translated string is marked, to find text outside the catalogues.
    pseudo_locale: bool = False
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

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
            waiting_patience_seconds=float(env.get("WAITING_PATIENCE_SECONDS", "900")),
            policy_path=Path(env.get("POLICY_PATH") or DEFAULT_POLICY),
            purge_interval_seconds=float(env.get("PURGE_INTERVAL_SECONDS", "3600")),
            turn_urls=parse_list(env.get("TURN_URLS", "")),
            turn_secrets=parse_list(env.get("TURN_SECRETS", "")),
            turn_ttl_seconds=float(env.get("TURN_TTL_SECONDS", "3600")),
            check_max_concurrent=int(env.get("CHECK_MAX_CONCURRENT", "4")),
            check_seconds=float(env.get("CHECK_SECONDS", "30")),
            accessibility_email=env.get("ACCESSIBILITY_EMAIL") or "barrierefreiheit@jobcenter.example",
        )
