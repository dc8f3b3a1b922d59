"""Liveness and readiness for load balancers."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from web.keys import DB

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
