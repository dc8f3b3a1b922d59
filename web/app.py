"""The composition root: ``create_app(settings)`` builds and wires everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from booking.links import ManageLinks
from recordings_policy import load_policy
from rooms.invitations import InvitationSigner, load_or_create_key
from rooms.waiting_room import MemoryWaitingRoom
from signaling.server import SignalingServer
from storage.db import create_engine, sessionmaker_for
from web.errors import error_middleware
from web.keys import (
    BOOKING_LIMITER,
    DB,
    ENGINE,
    MANAGE_LINKS,
    POLICY,
    PURGER,
    SETTINGS,
    SIGNALING,
    SIGNER,
    WAITING_ROOM,
)
from web.middlewares import (
    csrf_middleware,
    language_middleware,
    login_middleware,
    security_headers,
)
from web.purger import Purger
from web.rate_limit import RateLimiter
from web.settings import Settings
from web.templating import setup_templates
from web.views import appointments, auth, booking, caseworker, evaluation, feedback, health, recipient

__all__ = ["create_app"]

_HERE = Path(__file__).parent


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    app[ENGINE] = engine
    app[DB] = sessionmaker_for(engine)
    key = load_or_create_key(settings.signing_key_path)
    app[MANAGE_LINKS] = ManageLinks(key)
    app[SIGNER] = InvitationSigner(
        key,
        issuer=settings.invitation_issuer,
        audience=settings.invitation_audience,
    )
    waiting_room = MemoryWaitingRoom()
    app[WAITING_ROOM] = waiting_room
    signaling = app[SIGNALING]
    signaling.bind(app[DB], waiting_room)
    purger = Purger(app[DB], app[POLICY], settings.clock, settings.purge_interval_seconds)
    app[PURGER] = purger
    purger.start()
    yield
    await purger.close()
    await signaling.close()
    await waiting_room.close()
    await engine.dispose()


async def _close_sockets(app: web.Application) -> None:
    # on_shutdown runs before aiohttp waits for open handlers: close the websockets here,
    # or shutdown waits for every connected browser to time out.
    await app[SIGNALING].close()


def create_app(settings: Settings) -> web.Application:
    """Build the whole application for ``settings``; nothing is opened until startup.

    Raises ``InvalidPolicy`` when the retention policy file is not valid, so a server
    never runs with a policy nobody checked.
    """
    policy = load_policy(settings.policy_path)
    app = web.Application(
        middlewares=[
            security_headers,
            error_middleware,
            language_middleware,
            login_middleware,
            csrf_middleware,
        ],
        client_max_size=1024 * 1024,
    )
    app[SETTINGS] = settings
    app[POLICY] = policy
    app[BOOKING_LIMITER] = RateLimiter(settings.clock)
    static = app.router.add_static("/static", _HERE / "static", name="static", append_version=True)
    setup_templates(app, static)
    for module in (health, auth, caseworker, appointments, recipient, booking, feedback, evaluation):
        app.router.add_routes(module.routes)
    signaling = SignalingServer(settings, policy)
    signaling.attach(app)
    app[SIGNALING] = signaling
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_resources)
    return app
