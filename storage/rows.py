"""Mapping rows to the domain's dataclasses, and reading one row by key, the same way in
every repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

__all__ = ["from_row", "one_row", "by_key", "get_as", "narrowed"]

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=Select[Any])


def from_row(cls: type[T], row: object, **converted: Any) -> T:
    """A dataclass ``cls`` from the same-named attributes of ``row``; ``converted`` gives the
    fields that need more than a copy (an enum, a parsed column)."""
    names = [f.name for f in fields(cls) if f.init and f.name not in converted]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names}, **converted)


async def by_key(db: AsyncSession, model: type[R], key: object, missing: Exception, *, for_update: bool = False) -> R:
    """The row of ``model`` with primary key ``key`` (from the session when it holds it), or raise ``missing``."""
    row = await db.get(model, key, with_for_update=for_update)
    if row is None:
        raise missing
    return row


async def get_as(db: AsyncSession, model: type[R], key: object, convert: Callable[[R], T]) -> T | None:
    """The row of ``model`` with primary key ``key`` as ``convert`` makes it, or None."""
    row = await db.get(model, key)
    return None if row is None else convert(row)


def narrowed(stmt: S, column: InstrumentedAttribute[Any], value: object | None) -> S:
    """``stmt`` limited to the rows whose ``column`` is ``value``; unchanged when ``value`` is None."""
    return stmt if value is None else stmt.where(column == value)


async def one_row(
    db: AsyncSession,
    model: type[R],
    key: InstrumentedAttribute[Any],
    value: object,
    missing: Exception,
    *,
    for_update: bool = False,
) -> R:
    """The row of ``model`` whose ``key`` is ``value`` (locked with ``for_update``), or raise ``missing``."""
    stmt = select(model).where(key == value)
    if for_update:
        stmt = stmt.with_for_update()
    row = await db.scalar(stmt)
    if row is None:
        raise missing
    return row
