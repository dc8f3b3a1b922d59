"""Engine construction and schema migration."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

__all__ = ["create_engine", "migrate", "sessionmaker_for"]

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")


def create_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """An async engine; ``schema`` pins PostgreSQL's search_path (used to isolate tests)."""
    kwargs: dict[str, Any] = {}
    if url.startswith("postgresql"):
        if schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
    elif url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted content is overwritten with zeros: a spent feedback token, a moved ballot or
    # a purged phone number leaves nothing readable in the file (storage/ballots.py,
    # storage/erasure.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def sessionmaker_for(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Sessions on ``engine``; objects stay readable after their commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "heads")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema (all migration heads)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    logger.info("database schema is up to date")
