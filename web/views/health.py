"""Liveness (``/healthz``) and readiness (``/readyz``) for load balancers."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from web.keys import DB, DRAIN, REDIS

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.StreamResponse:
    try:
        async with request.app[DB]() as db:
            await db.execute(text("SELECT 1"))
    except Exception:
        return web.json_response({"status": "degraded", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


@routes.get("/readyz", name="readyz")
async def readyz(request: web.Request) -> web.StreamResponse:
    """Readiness: the database, Redis when configured, and not draining (SIGTERM)."""
    app = request.app
    checks: dict[str, str] = {}
    if app[DRAIN].draining:
        checks["node"] = "draining"
    try:
        async with app[DB]() as db:
            await db.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    redis = app.get(REDIS)
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for k, v in checks.items() if k != "node") and "node" not in checks
    return web.json_response({"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)
