"""The composition root: ``create_app(settings)`` builds and wires everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from rooms.invitations import InvitationSigner, load_or_create_key
from rooms.waiting_room import MemoryWaitingRoom
from signaling.server import SignalingServer
from storage.db import create_engine, sessionmaker_for
from web import i18n
from web.errors import error_middleware
from web.keys import DB, ENGINE, SETTINGS, SIGNALING, SIGNER, WAITING_ROOM
from web.middlewares import (
    csrf_middleware,
    csrf_token,
    language_middleware,
    login_middleware,
    security_headers,
)
from web.settings import Settings
from web.views import auth, caseworker, health, recipient

__all__ = ["create_app"]

_HERE = Path(__file__).parent


def _jinja_env(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        context_processors=[_context],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["group_label"] = lambda g: {"sgb2": "SGB II", "sgb3": "SGB III"}.get(str(g), str(g))


async def _context(request: web.Request) -> dict[str, object]:
    return {
        "request": request,
        "account": request.get("account"),
        "csrf_token": csrf_token(request),
        "lang": i18n.current_language(),
    }


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    app[ENGINE] = engine
    app[DB] = sessionmaker_for(engine)
    app[SIGNER] = InvitationSigner(
        load_or_create_key(settings.signing_key_path),
        issuer=settings.invitation_issuer,
        audience=settings.invitation_audience,
    )
    waiting_room = MemoryWaitingRoom()
    app[WAITING_ROOM] = waiting_room
    signaling = app[SIGNALING]
    signaling.bind(app[DB], waiting_room)
    yield
    await signaling.close()
    await waiting_room.close()
    await engine.dispose()


def create_app(settings: Settings) -> web.Application:
    """Build the whole application for ``settings``; nothing is opened until startup."""
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
    _jinja_env(app)
    static = app.router.add_static("/static", _HERE / "static", name="static", append_version=True)
    aiohttp_jinja2.get_env(app).globals["static_url"] = lambda path: str(
        static.url_for(filename=path)
    )
    for module in (health, auth, caseworker, recipient):
        app.router.add_routes(module.routes)
    signaling = SignalingServer(settings)
    signaling.attach(app)
    app[SIGNALING] = signaling
    app.cleanup_ctx.append(_resources)
    return app
