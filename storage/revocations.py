"""Which passes (``storage.grant_passes``) no longer speak for the database.

Every committed change to a fact a pass caches revokes the passes minted before it: a
participant's admission, secret or consent (``p:<id>``), a session's state (``s:<id>``),
an account's role, activity or logins (``a:<id>``), one login (``t:<token hash>``).

- **Collected** from the ORM session itself when it flushes, and from the few bulk
  statements that name what they change (``storage.changes``). Any other bulk UPDATE or
  DELETE on those tables revokes every pass (``*``): a write path added later without
  naming its keys costs speed, never safety. Nothing is kept on rollback.
- **Written** in the same transaction as the change, to ``pass_revocations``: from every
  process that writes through ``storage.db.sessionmaker_for`` (each node, the command
  line, a migration script), so no writer can be missed.
- **Applied** at once on the node that committed, and on every node by ``RevocationFeed``,
  which reads the table every ``POLL_SECONDS``. A node that has not read it for
  ``STALE_AFTER_SECONDS`` (database gone, loop stalled) trusts no pass, and neither does
  it trust one minted before it started.

Times: a pass is stamped before its grant was read; on the committing node a revocation
is stamped after its commit, so a pass minted later has read the new facts. The row in
the table can only be stamped before the commit: read by a node, it also voids passes
minted up to ``MARGIN_SECONDS`` after that stamp, for the commit's own duration and for
the nodes' clocks (NTP keeps them within milliseconds).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from storage.changes import INFO_KEY, MARKED, changed
from storage.grant_passes import PASS_LIFETIME_SECONDS
from storage.models import ConsentRow, CounselSessionRow, LoginSession, ParticipantRow, PassRevocationRow, User

__all__ = ["Revocations", "RevocationFeed", "watch_changes", "EVERYTHING", "MARGIN_SECONDS", "POLL_SECONDS"]

logger = logging.getLogger(__name__)

EVERYTHING = "*"
MARGIN_SECONDS = 0.25
POLL_SECONDS = 0.25
STALE_AFTER_SECONDS = 3.0
# Rows are kept this long: every pass minted before a deleted row has expired.
_KEEP_SECONDS = PASS_LIFETIME_SECONDS + 2 * MARGIN_SECONDS
_PENDING = "grant_changes_pending"
_WATCHED = {t.__table__ for t in (ParticipantRow, CounselSessionRow, ConsentRow, LoginSession, User)}


class Revocations:
    """Per node: key -> until when passes resting on it are void, and whether the node
    hears of every change."""

    def __init__(self, clock: Callable[[], float] = time.time, *, fed: bool = True) -> None:
        self._clock = clock
        self._at: dict[str, float] = {}
        self._trust_from = clock()
        # Without a feed (one process that makes every change itself) it never goes stale.
        self._fed = fed
        self._heard_at = self._trust_from
        # Rows this node wrote and applied itself: the feed skips them (stamped more exactly here).
        self._own_rows: set[int] = set()
        # Who waits to hear of a key (``heard_of``): key -> futures.
        self._waiters: dict[str, list[asyncio.Future[float]]] = {}

    def heard(self, keys: Iterable[str], at: float) -> None:
        """A change: passes on ``keys`` minted at or before ``at`` are void."""
        for key in keys:
            before = self._at.pop(key, None)
            self._at[key] = at if before is None else max(before, at)  # newest at the end
            for waiter in self._waiters.pop(key, ()):
                if not waiter.done():
                    waiter.set_result(self._at[key])
        self._prune()

    def committed_here(self, keys: Iterable[str], at: float, row_id: int) -> None:
        """A change this node committed (``at``: after the commit), written as ``row_id``."""
        self.heard(keys, at)
        if self._fed:
            self._own_rows.add(row_id)

    def is_own(self, row_id: int) -> bool:
        """Whether the feed's row was written (and applied) by this node; asked once per row."""
        if row_id in self._own_rows:
            self._own_rows.discard(row_id)
            return True
        return False

    async def heard_of(self, key: str) -> float:
        """Wait until this node hears of a change to ``key`` (from now on); its stamp."""
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        return await waiter

    def changed_at(self, key: str) -> float | None:
        """When ``key`` last changed, as far as this node knows (within the kept horizon)."""
        return self._at.get(key)

    def up_to_date(self, at: float) -> None:
        """Every change committed before ``at`` has been heard (the feed read the table)."""
        self._heard_at = max(self._heard_at, at)

    def trusted(self, keys: Iterable[str], minted: float) -> bool:
        """Whether a pass minted at ``minted`` and resting on ``keys`` still holds."""
        if minted < self._trust_from:
            return False
        if self._fed and self._clock() - self._heard_at > STALE_AFTER_SECONDS:
            return False
        for key in (EVERYTHING, *keys):
            at = self._at.get(key)
            if at is not None and at >= minted:
                return False
        return True

    def _prune(self) -> None:
        horizon = self._clock() - _KEEP_SECONDS
        while self._at:
            key = next(iter(self._at))
            if self._at[key] >= horizon:
                break
            del self._at[key]

    def __len__(self) -> int:
        return len(self._at)


def _keys_of(obj: object) -> Iterable[str]:
    if isinstance(obj, ParticipantRow):
        yield f"p:{obj.id}"
    elif isinstance(obj, CounselSessionRow):
        yield f"s:{obj.id}"
    elif isinstance(obj, ConsentRow):
        yield f"p:{obj.participant_id}"
    elif isinstance(obj, User):
        yield f"a:{obj.id}"
    elif isinstance(obj, LoginSession):
        yield f"a:{obj.user_id}"
        yield f"t:{obj.token_hash[:22]}"


def watch_changes(session_class: type[Session], revocations: Revocations | None, clock: Callable[[], float]) -> None:
    """Record, in each commit of ``session_class``'s sessions, what it changed; apply it
    to ``revocations`` (this node's) after the commit."""

    @event.listens_for(session_class, "after_flush")
    def _flushed(session: Session, _context: Any) -> None:
        keys = [k for obj in (*session.dirty, *session.deleted) for k in _keys_of(obj)]
        keys += [f"p:{obj.participant_id}" for obj in session.new if isinstance(obj, ConsentRow)]
        if keys:
            changed(session, *keys)

    @event.listens_for(session_class, "do_orm_execute")
    def _executed(state: ORMExecuteState) -> None:
        if (state.is_update or state.is_delete) and not state.execution_options.get(MARKED):
            if getattr(state.statement, "table", None) in _WATCHED:
                changed(state.session, EVERYTHING)

    @event.listens_for(session_class, "before_commit")
    def _committing(session: Session) -> None:
        session.flush()  # so the last changes are collected too
        keys = session.info.pop(INFO_KEY, None)
        if keys:
            row = session.execute(insert(PassRevocationRow).values(at=clock(), keys=" ".join(sorted(keys))))
            session.info[_PENDING] = (sorted(keys), row.inserted_primary_key[0])  # type: ignore[attr-defined]

    @event.listens_for(session_class, "after_commit")
    def _committed(session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if pending is not None and revocations is not None:
            keys, row_id = pending
            revocations.committed_here(keys, clock(), row_id)  # after the commit: a pass minted later read it

    @event.listens_for(session_class, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(INFO_KEY, None)
        session.info.pop(_PENDING, None)


class RevocationFeed:
    """Reads what every node (and the command line) revoked, every ``POLL_SECONDS``; owns its task."""

    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        revocations: Revocations,
        *,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._revocations = revocations
        self._poll = poll_seconds
        self._clock = clock
        self._since = clock() - _KEEP_SECONDS
        # Rows already applied that the next read's overlap returns again: id -> stamp.
        self._applied: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0

    async def read(self) -> int:
        """One read of the table: everything since the last read (with an overlap, since a
        change stamped earlier may commit later), each row applied once; old rows deleted
        now and then. Returns how many rows it applied."""
        started = self._clock()
        async with self._db() as db:
            # The overlap returns rows applied last time; only the others are read whole
            # (one commit may name thousands of keys).
            rows = (
                await db.execute(
                    select(PassRevocationRow.id, PassRevocationRow.at, PassRevocationRow.keys)
                    .where(
                        PassRevocationRow.at > self._since - 2 * MARGIN_SECONDS,
                        PassRevocationRow.id.not_in(list(self._applied)),
                    )
                    .order_by(PassRevocationRow.at)
                )
            ).all()
        applied = 0
        for row_id, at, keys in rows:
            self._since = max(self._since, at)
            self._applied[row_id] = at
            if not self._revocations.is_own(row_id):
                self._revocations.heard(keys.split(), at + MARGIN_SECONDS)
                applied += 1
        horizon = self._since - 2 * MARGIN_SECONDS
        self._applied = {row_id: at for row_id, at in self._applied.items() if at > horizon}
        self._revocations.up_to_date(started - MARGIN_SECONDS)
        if started - self._pruned_at > 60:
            self._pruned_at = started
            async with self._db.begin() as db:
                await db.execute(delete(PassRevocationRow).where(PassRevocationRow.at < started - _KEEP_SECONDS))
        return applied

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.read()
            except (SQLAlchemyError, OSError):
                logger.warning("could not read pass revocations; passes are not trusted until it can")
            await asyncio.sleep(self._poll)  # the table gives no notification; a bounded poll
