"""Typed application keys for the objects ``create_app`` builds and shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from application.notifier import Notifier
from application.reporting import Reporting
from booking.links import ManageLinks
from recordings_policy import RetentionPolicy
from rooms.invitation_codes import InvitationCodes
from rooms.invitations import InvitationSigner
from rooms.proof import ProofSigner
from rooms.turn import TurnIssuer
from rooms.waiting_room import WaitingRoom
from web.rate_limit import Limiter
from web.settings import Settings

if TYPE_CHECKING:
    from application.login import Passwords
    from signaling.echo import EchoChecks
    from signaling.server import SignalingServer
    from web.ballot_mover import BallotMover
    from web.drain import Drain
    from web.login_throttle import LoginThrottle
    from web.metrics import Metrics
    from web.passwords import PasswordChecks
    from web.purger import Purger

__all__ = [
    "SETTINGS",
    "POLICY",
    "PURGER",
    "BALLOTS",
    "ENGINE",
    "DB",
    "SIGNER",
    "WAITING_ROOM",
    "SIGNALING",
    "NOTIFIER",
    "TURN",
    "ECHO",
    "MANAGE_LINKS",
    "BOOKING_LIMITER",
    "INVITATION_LIMITER",
    "MANAGE_LINK_LIMITER",
    "METRICS",
    "DRAIN",
    "REDIS",
    "LOGIN_THROTTLE",
    "PASSWORDS",
    "PASSWORD_CHECKS",
    "INVITATION_CODES",
    "PROOF_SIGNER",
    "REPORTING",
]

SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", RetentionPolicy)
ENGINE = web.AppKey("engine", AsyncEngine)
DB = web.AppKey("db", async_sessionmaker[AsyncSession])
SIGNER = web.AppKey("signer", InvitationSigner)
WAITING_ROOM = web.AppKey("waiting_room", WaitingRoom)
MANAGE_LINKS = web.AppKey("manage_links", ManageLinks)
# Per node, or (with Redis) shared by every node.
BOOKING_LIMITER: web.AppKey[Limiter] = web.AppKey("booking_limiter")
# Invitations (e-mail and SMS) a caseworker sends: per hour, per node or shared alike.
INVITATION_LIMITER: web.AppKey[Limiter] = web.AppKey("invitation_limiter")
# Manage links a recipient sends to themselves: per booking and hour.
MANAGE_LINK_LIMITER: web.AppKey[Limiter] = web.AppKey("manage_link_limiter")
PROOF_SIGNER = web.AppKey("proof_signer", ProofSigner)
SIGNALING: web.AppKey[SignalingServer] = web.AppKey("signaling")
# What a use case tells the live pages (the signalling server implements it).
NOTIFIER = web.AppKey("notifier", Notifier)
PURGER: web.AppKey[Purger] = web.AppKey("purger")
BALLOTS: web.AppKey[BallotMover] = web.AppKey("ballots")
# None when no TURN server is configured.
TURN: web.AppKey[TurnIssuer | None] = web.AppKey("turn")
ECHO: web.AppKey[EchoChecks] = web.AppKey("echo")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
DRAIN: web.AppKey[Drain] = web.AppKey("drain")
# The node's Redis client (for readiness), None without Redis.
REDIS: web.AppKey[Redis | None] = web.AppKey("redis")
LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
# Hashes and checks passwords at the settings' argon2 cost (built once in create_app).
PASSWORDS: web.AppKey[Passwords] = web.AppKey("passwords")
PASSWORD_CHECKS: web.AppKey[PasswordChecks] = web.AppKey("password_checks")
INVITATION_CODES = web.AppKey("invitation_codes", InvitationCodes)
# The evaluation's use cases and the grids they planned (kept until the data change).
REPORTING = web.AppKey("reporting", Reporting)
