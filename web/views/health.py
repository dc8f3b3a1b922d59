"""Liveness (``/healthz``) and readiness (``/readyz``) for load balancers."""

from __future__ import annotations

from aiohttp import web

from application.health import database_ok
from web.keys import DB, DRAIN, REDIS

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.StreamResponse:
    if not await database_ok(request.app[DB]):
        return web.json_response({"status": "degraded", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


@routes.get("/readyz", name="readyz")
async def readyz(request: web.Request) -> web.StreamResponse:
    """Readiness: the database, Redis when configured, and not draining (SIGTERM)."""
    app = request.app
    checks: dict[str, str] = {}
    if app[DRAIN].draining:
        checks["node"] = "draining"
    checks["database"] = "ok" if await database_ok(app[DB]) else "unreachable"
    redis = app.get(REDIS)
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for k, v in checks.items() if k != "node") and "node" not in checks
    return web.json_response({"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)
