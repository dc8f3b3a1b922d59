"""The composition root: ``create_app(settings)`` builds and wires everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial
from pathlib import Path

from aiohttp import web
from aiortc import RTCIceServer
from redis.asyncio import Redis

from booking.links import ManageLinks
from recordings_policy import load_policy
from rooms.invitations import InvitationSigner, load_or_create_key
from rooms.turn import TurnIssuer
from rooms.waiting_room import MemoryWaitingRoom, WaitingRoom
from signaling.echo import EchoChecks
from signaling.fanout import RedisFanout, redis_options
from signaling.heartbeat import Heartbeat
from signaling.presence import Presence, RedisPresence
from signaling.server import SignalingServer
from storage.db import create_engine, sessionmaker_for
from storage.redis_waiting_room import RedisWaitingRoom
from web.errors import error_middleware
from web.keys import (
    BOOKING_LIMITER,
    DB,
    ECHO,
    ENGINE,
    MANAGE_LINKS,
    POLICY,
    PURGER,
    SETTINGS,
    SIGNALING,
    SIGNER,
    TURN,
    WAITING_ROOM,
)
from web.middlewares import (
    csrf_middleware,
    language_middleware,
    login_middleware,
    security_headers,
    signaling_passthrough,
)
from web.purger import Purger
from web.rate_limit import RateLimiter
from web.settings import Settings
from web.templating import setup_templates
from web.views import appointments, auth, booking, caseworker, check, evaluation, feedback, health, info, recipient

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
    signaling = app[SIGNALING]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        waiting_room: WaitingRoom
        presence: Presence | None = None
        if settings.redis_url:
            redis = Redis.from_url(settings.redis_url, **redis_options())
            stack.push_async_callback(redis.aclose)
            fanout = signaling.sio.manager
            assert isinstance(fanout, RedisFanout)
            stack.push_async_callback(fanout.close)
            await fanout.open(signaling.sio)
            waiting_room = RedisWaitingRoom(
                redis, settings.redis_prefix, settings.presence_ttl_seconds, settings.rejoin_grace_seconds
            )
            presence = RedisPresence(redis, settings.redis_prefix, settings.presence_ttl_seconds)
        else:
            waiting_room = MemoryWaitingRoom()
        app[WAITING_ROOM] = waiting_room
        stack.push_async_callback(waiting_room.close)
        signaling.bind(app[DB], waiting_room, presence)
        stack.push_async_callback(signaling.close)
        if presence is not None:
            heartbeat = Heartbeat(signaling.peers, presence, waiting_room, settings.presence_ttl_seconds)
            heartbeat.start()
            stack.push_async_callback(heartbeat.close)
        purger = Purger(app[DB], app[POLICY], settings.clock, settings.purge_interval_seconds)
        app[PURGER] = purger
        purger.start()
        stack.push_async_callback(purger.close)
        echo = EchoChecks(settings.check_max_concurrent, settings.check_seconds, partial(_check_ice_servers, app))
        app[ECHO] = echo
        stack.push_async_callback(echo.close)
        yield


def _check_ice_servers(app: web.Application, check_id: str) -> list[RTCIceServer]:
    """The echo peer's ICE servers: the configured TURN only, never a public STUN server."""
    issuer = app[TURN]
    if issuer is None:
        return []
    creds = issuer.issue(f"check-{check_id}", app[SETTINGS].clock())
    return [RTCIceServer(urls=list(creds.urls), username=creds.username, credential=creds.credential)]


async def _close_sockets(app: web.Application) -> None:
    # on_shutdown runs before aiohttp waits for open handlers: close the websockets here,
    # or shutdown waits for every connected browser to time out.
    await app[SIGNALING].close()
    if ECHO in app:
        await app[ECHO].close()


def create_app(settings: Settings) -> web.Application:
    """Build the whole application for ``settings``; nothing is opened until startup.

    Raises ``InvalidPolicy`` when the retention policy file is not valid, so a server
    never runs with a policy nobody checked.
    """
    policy = load_policy(settings.policy_path)
    app = web.Application(
        middlewares=[
            signaling_passthrough,
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
    app[TURN] = (
        TurnIssuer(settings.turn_urls, settings.turn_secrets, timedelta(seconds=settings.turn_ttl_seconds))
        if settings.turn_urls
        else None
    )
    app[BOOKING_LIMITER] = RateLimiter(settings.clock)
    static = app.router.add_static("/static", _HERE / "static", name="static", append_version=True)
    setup_templates(app, static)
    for module in (health, auth, caseworker, appointments, recipient, booking, check, feedback, evaluation, info):
        app.router.add_routes(module.routes)
    fanout = None
    if settings.redis_url:
        # Websocket transport only, so any node may take any reconnect: no sticky sessions.
        fanout = RedisFanout(settings.redis_url, channel=f"{settings.redis_prefix}:socketio")
    signaling = SignalingServer(settings, policy, client_manager=fanout)
    signaling.attach(app)
    app[SIGNALING] = signaling
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_resources)
    return app
