"""The database for a command line: opened for one command and closed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine, migrate, sessionmaker_for

__all__ = ["opened", "migrate_schema"]


@asynccontextmanager
async def opened(url: str, schema: str | None = None) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database at ``url``; the engine is disposed of on leaving."""
    engine = create_engine(url, schema=schema)
    try:
        yield sessionmaker_for(engine)
    finally:
        await engine.dispose()


async def migrate_schema(url: str, schema: str | None = None) -> None:
    """Create or upgrade the schema (Alembic) to the newest revision."""
    engine = create_engine(url, schema=schema)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
