"""The composition root: ``create_app(settings)`` builds and wires everything."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiortc import RTCIceServer

from application.reporting import Reporting
from booking.links import ManageLinks
from recordings_policy import RetentionPolicy, load_policy
from rooms.invitation_codes import InvitationCodes
from rooms.invitations import InvitationSigner, load_or_create_key
from rooms.proof import ProofSigner
from rooms.turn import TurnIssuer
from rooms.waiting_room import MemoryWaitingRoom, WaitingRoom
from signaling.echo import EchoChecks
from signaling.fanout import RedisFanout, redis_client
from signaling.heartbeat import Heartbeat
from signaling.presence import Presence, RedisPresence
from signaling.server import SignalingServer
from signaling.watch import PresenceWatch
from storage.db import create_engine, sessionmaker_for
from storage.redis_lock import IntervalLock
from storage.redis_rate_limit import RedisRateLimiter
from storage.redis_waiting_room import RedisWaitingRoom
from web.assets import JsModules, immutable_static, static_url, static_version
from web.ballot_mover import BallotMover
from web.compression import static_compression
from web.cookies import socket_credentials
from web.drain import Drain
from web.errors import error_middleware
from web.keys import (
    BALLOTS,
    BOOKING_LIMITER,
    DB,
    DRAIN,
    ECHO,
    ENGINE,
    INVITATION_CODES,
    INVITATION_LIMITER,
    LOGIN_THROTTLE,
    MANAGE_LINK_LIMITER,
    MANAGE_LINKS,
    METRICS,
    NOTIFIER,
    PASSWORD_CHECKS,
    PASSWORDS,
    POLICY,
    PROOF_SIGNER,
    PURGER,
    REDIS,
    REPORTING,
    SETTINGS,
    SIGNALING,
    SIGNER,
    TURN,
    WAITING_ROOM,
)
from web.login_throttle import LoginThrottle
from web.logs import request_id_middleware
from web.metrics import Metrics, allowed_networks, metrics_handler
from web.middlewares import (
    csrf_middleware,
    language_middleware,
    login_middleware,
    security_headers,
    signaling_passthrough,
)
from web.passwords import PasswordChecks, passwords_for
from web.purger import Purger
from web.rate_limit import INVITATIONS_PER_HOUR, MANAGE_LINKS_PER_HOUR, RateLimiter
from web.settings import Settings
from web.templating import setup_templates
from web.views import (
    appointments,
    attempts,
    auth,
    booking,
    caseworker,
    check,
    evaluation,
    feedback,
    health,
    info,
    proof,
    recipient,
    third,
)
from web.views.absences import routes as absence_routes
from web.views.admin import routes as admin_routes
from web.views.appointment_detail import routes as appointment_routes
from web.views.consent_pages import routes as consent_routes
from web.views.invitation_delivery import routes as delivery_routes
from web.views.manage_link import routes as manage_link_routes
from web.views.short_links import routes as short_link_routes

__all__ = ["create_app"]

_HERE = Path(__file__).parent


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    app[ENGINE] = engine
    app[DB] = sessionmaker_for(engine)
    app[REPORTING] = Reporting(app[DB], settings.clock)
    key = load_or_create_key(settings.signing_key_path)
    app[MANAGE_LINKS] = ManageLinks(key)
    app[INVITATION_CODES] = InvitationCodes(key)
    app[SIGNER] = InvitationSigner(
        key,
        issuer=settings.invitation_issuer,
        audience=settings.invitation_audience,
    )
    # A key of its own: a proof must never verify as an invitation, nor the other way.
    app[PROOF_SIGNER] = ProofSigner(load_or_create_key(settings.instance_path / "attempt-proof-key.pem"))
    signaling = app[SIGNALING]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        waiting_room, presence, purge_lock = await _shared_state(app, stack)
        app[WAITING_ROOM] = waiting_room
        stack.push_async_callback(waiting_room.close)
        signaling.bind(app[DB], waiting_room, presence)
        stack.push_async_callback(signaling.close)
        if presence is not None:
            heartbeat = Heartbeat(signaling.peers, presence, waiting_room, settings.presence_ttl_seconds)
            heartbeat.start()
            stack.push_async_callback(heartbeat.close)
            watch = PresenceWatch(
                presence, signaling.lapsed, signaling.grace_ended, min(1.0, settings.presence_ttl_seconds / 5)
            )
            watch.start()
            stack.push_async_callback(watch.close)
        purger = Purger(
            app[DB], app[POLICY], settings.clock, settings.purge_interval_seconds, lock=purge_lock, metrics=app[METRICS]
        )
        app[PURGER] = purger
        purger.start()
        stack.push_async_callback(purger.close)
        checks = PasswordChecks(app[PASSWORDS])
        app[PASSWORD_CHECKS] = checks
        stack.callback(checks.close)
        ballots = BallotMover(
            engine,
            app[DB],
            settings.ballot_interval_seconds,
            settings.ballot_min_batch,
            on_moved=app[METRICS].feedback_answers.inc,
        )
        app[BALLOTS] = ballots
        ballots.start()
        stack.push_async_callback(ballots.close)
        echo = EchoChecks(
            settings.check_max_concurrent,
            settings.check_seconds,
            partial(_check_ice_servers, app),
            metrics=app[METRICS],
        )
        app[ECHO] = echo
        stack.push_async_callback(echo.close)
        yield


async def _shared_state(
    app: web.Application, stack: AsyncExitStack
) -> tuple[WaitingRoom, Presence | None, IntervalLock | None]:
    """With Redis: the waiting room, presence, limits and purge lock every node shares;
    without: the waiting room in memory, no presence, the limits of this process."""
    settings = app[SETTINGS]
    app[REDIS] = None
    if not settings.redis_url:
        return MemoryWaitingRoom(), None, None
    redis = redis_client(settings.redis_url, settings.redis_max_connections)
    app[REDIS] = redis
    purge_lock = IntervalLock(redis, settings.redis_prefix, "purge", settings.purge_interval_seconds)
    app[BOOKING_LIMITER] = RedisRateLimiter(redis, settings.redis_prefix)  # one limit for every node
    app[INVITATION_LIMITER] = RedisRateLimiter(redis, settings.redis_prefix, *INVITATIONS_PER_HOUR)
    app[MANAGE_LINK_LIMITER] = RedisRateLimiter(redis, settings.redis_prefix, *MANAGE_LINKS_PER_HOUR)
    stack.push_async_callback(redis.aclose)
    fanout = app[SIGNALING].sio.manager
    assert isinstance(fanout, RedisFanout)
    stack.push_async_callback(fanout.close)
    await fanout.open(app[SIGNALING].sio)
    waiting_room = RedisWaitingRoom(
        redis, settings.redis_prefix, settings.presence_ttl_seconds, settings.rejoin_grace_seconds
    )
    presence = RedisPresence(redis, settings.redis_prefix, settings.presence_ttl_seconds)
    return waiting_room, presence, purge_lock


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


def _middlewares(current_version: Callable[[str], str | None]) -> list[Middleware]:
    """The request pipeline, outermost first."""
    return [
        signaling_passthrough,
        request_id_middleware,
        static_compression,
        security_headers,
        immutable_static(current_version),
        error_middleware,
        language_middleware,
        login_middleware,
        csrf_middleware,
    ]


def _add_services(app: web.Application, settings: Settings, policy: RetentionPolicy) -> Metrics:
    """The settings, the policy and the in-process services the views and the server share."""
    app[SETTINGS] = settings
    app[POLICY] = policy
    metrics = app[METRICS] = Metrics()
    app[DRAIN] = Drain()
    app[TURN] = (
        TurnIssuer(settings.turn_urls, settings.turn_secrets, timedelta(seconds=settings.turn_ttl_seconds))
        if settings.turn_urls
        else None
    )
    app[BOOKING_LIMITER] = RateLimiter(settings.clock)
    app[INVITATION_LIMITER] = RateLimiter(settings.clock, *INVITATIONS_PER_HOUR)
    app[MANAGE_LINK_LIMITER] = RateLimiter(settings.clock, *MANAGE_LINKS_PER_HOUR)
    app[PASSWORDS] = passwords_for(settings)
    app[LOGIN_THROTTLE] = LoginThrottle(
        settings.clock, per_address=settings.login_attempts_per_address, node_burst=settings.login_attempts_per_node
    )
    return metrics


def _add_routes(app: web.Application, settings: Settings, modules: JsModules, metrics: Metrics) -> None:
    """The static files and templates, then every view's routes, in their order of matching."""
    # Modules first: served rewritten, their imports versioned (web/assets.py).
    app.router.add_get(r"/static/{path:.+\.js}", modules.handler)
    static = app.router.add_static("/static", _HERE / "static", name="static", append_version=True)
    setup_templates(app, static)
    aiohttp_jinja2.get_env(app).globals["static_url"] = static_url(app, modules)
    aiohttp_jinja2.get_env(app).globals["module_preloads"] = modules.preloads
    aiohttp_jinja2.get_env(app).globals["module_graph"] = modules.graph
    for module in (health, auth, caseworker, appointments, recipient, booking, check, feedback, evaluation, info):
        app.router.add_routes(module.routes)
    app.router.add_get(
        "/metrics",
        metrics_handler(metrics, allowed_networks(settings.metrics_allow), settings.metrics_token),
        name="metrics",
    )
    app.router.add_routes(admin_routes)
    app.router.add_routes(absence_routes)
    app.router.add_routes(appointment_routes)
    app.router.add_routes(short_link_routes)
    app.router.add_routes(consent_routes)
    app.router.add_routes(delivery_routes)
    app.router.add_routes(manage_link_routes)
    for module in (attempts, proof, third):
        app.router.add_routes(module.routes)


def _add_signaling(app: web.Application, settings: Settings, policy: RetentionPolicy, metrics: Metrics) -> None:
    """The signalling server on ``/socket.io/``, fanned out over Redis where one is configured."""
    fanout = None
    if settings.redis_url:
        # Websocket transport only, so any node may take any reconnect: no sticky sessions.
        fanout = RedisFanout(
            settings.redis_url,
            channel=f"{settings.redis_prefix}:socketio",
            max_connections=settings.redis_max_connections,
        )
    signaling = SignalingServer(
        settings,
        policy,
        client_manager=fanout,
        credentials=socket_credentials,
        metrics=metrics,
    )
    metrics.watch(signaling.peers, lambda: app[ECHO].running if ECHO in app else 0)
    signaling.attach(app)
    app[SIGNALING] = signaling
    app[NOTIFIER] = signaling


def create_app(settings: Settings) -> web.Application:
    """Build the whole application for ``settings``; nothing is opened until startup.

    Raises ``InvalidPolicy`` when the retention policy file is not valid, so a server
    never runs with a policy nobody checked.
    """
    policy = load_policy(settings.policy_path)
    modules = JsModules(_HERE / "static")

    def current_version(rel: str) -> str | None:
        return modules.version.get(rel) or static_version(app, rel)

    app = web.Application(middlewares=_middlewares(current_version), client_max_size=1024 * 1024)
    metrics = _add_services(app, settings, policy)
    _add_routes(app, settings, modules, metrics)
    _add_signaling(app, settings, policy, metrics)
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_resources)
    return app
