"""Typed application keys for the objects ``create_app`` builds and shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from booking.links import ManageLinks
from recordings_policy import RetentionPolicy
from rooms.invitations import InvitationSigner
from rooms.proof import ProofSigner
from rooms.turn import TurnIssuer
from rooms.waiting_room import WaitingRoom
from web.rate_limit import RateLimiter
from web.settings import Settings

if TYPE_CHECKING:
    from signaling.echo import EchoChecks
    from signaling.server import SignalingServer
    from web.purger import Purger

__all__ = [
    "SETTINGS",
    "POLICY",
    "PURGER",
    "ENGINE",
    "DB",
    "SIGNER",
    "WAITING_ROOM",
    "SIGNALING",
    "TURN",
    "ECHO",
    "MANAGE_LINKS",
    "BOOKING_LIMITER",
    "PROOF_SIGNER",
]

SETTINGS = web.AppKey("settings", Settings)
POLICY = web.AppKey("policy", RetentionPolicy)
ENGINE = web.AppKey("engine", AsyncEngine)
DB = web.AppKey("db", async_sessionmaker[AsyncSession])
SIGNER = web.AppKey("signer", InvitationSigner)
WAITING_ROOM = web.AppKey("waiting_room", WaitingRoom)
MANAGE_LINKS = web.AppKey("manage_links", ManageLinks)
BOOKING_LIMITER = web.AppKey("booking_limiter", RateLimiter)
PROOF_SIGNER = web.AppKey("proof_signer", ProofSigner)
SIGNALING: web.AppKey[SignalingServer] = web.AppKey("signaling")
PURGER: web.AppKey[Purger] = web.AppKey("purger")
# None when no TURN server is configured.
TURN: web.AppKey[TurnIssuer | None] = web.AppKey("turn")
ECHO: web.AppKey[EchoChecks] = web.AppKey("echo")
