"""The idempotent consumer: an inbox row per processed event, in the same transaction as the effect.

Every consumer goes through `first_deliveries`, one event or a batch of thousands: it skips the
events already applied (and an id repeated within a batch), adds the inbox rows of the others
and counts what it skipped in faio_inbox_duplicates_skipped. The rows are read and written set
by set, one statement each however large the batch: over a JSON array on SQLite, over arrays on
PostgreSQL (kpi's partner activity, the hot path, applies batches of 10,000 events).
"""

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock, db
from shared.counters import INBOX_DUPLICATES
from shared.db import SessionFactory
from shared.events.envelope import Envelope

T = TypeVar("T")


class InboxMessage(SQLModel, table=True):
    """An event this service has already applied; a redelivery finds it and changes nothing."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=100)
    processed_at: datetime = Field(default_factory=clock.now)


async def first_deliveries(
    session: AsyncSession, *, consumer: str, events: Sequence[T], event_id: Callable[[T], str]
) -> list[T]:
    """The events `consumer` has not applied before, each id once and in order; records them.

    Call inside the transaction that applies their effect: the inbox rows and the effect commit
    together, or neither does. Duplicates (in the inbox already, or an id seen earlier in
    `events`) are skipped and counted. A concurrent duplicate loses on the primary key when its
    row is inserted (the transaction fails and is retried, then skipped), before any effect.
    """
    if not events:
        return []
    ids = list(map(event_id, events))
    # Not a set: ids kept in their order (often a sender's sequence) keep SQLite's index lookups
    # local; a set's order made a batch of 10,000 ~7 % slower.
    distinct = dict.fromkeys(ids)
    seen = await _applied_before(session, consumer, list(distinct))
    if not seen and len(distinct) == len(ids):  # the usual batch: every event new
        fresh_ids, fresh = ids, list(events)
    else:
        fresh_ids, fresh = [], []
        for key, event in zip(ids, events, strict=True):
            if key not in seen:
                seen.add(key)
                fresh_ids.append(key)
                fresh.append(event)
        INBOX_DUPLICATES.labels(consumer).inc(len(ids) - len(fresh_ids))
    if fresh_ids:
        await _record(session, consumer, fresh_ids)
    return fresh


async def first_delivery(session: AsyncSession, *, consumer: str, event_id: str) -> bool:
    """Record the event as processed by `consumer`; False if it already was (see first_deliveries)."""
    return bool(await first_deliveries(session, consumer=consumer, events=[event_id], event_id=str))


async def apply_once(
    sessions: SessionFactory,
    *,
    headers: Mapping[str, Any],
    consumer: str,
    effect: Callable[[AsyncSession], Awaitable[object]],
) -> bool:
    """Apply `effect` for the event carried by `headers` unless it was applied before.

    The inbox row and the effect commit in one transaction: a redelivered event is a no-op,
    and a crash before the commit leaves neither behind. Returns whether it was applied.
    """
    envelope = Envelope.from_headers(headers)
    async with sessions() as session:
        if not await first_delivery(session, consumer=consumer, event_id=envelope.id):
            return False
        await effect(session)
        await session.commit()
        return True


# A join on the unnested ids, not `event_id = ANY(:ids)`: a plan that scans the inbox tests
# each row against the whole array, which grew to 20 s per batch as the inbox filled
# (tests/bench/bench_kpi.py --database postgres); a join is a hash or index lookup either way.
_POSTGRES_APPLIED = text(
    "SELECT inbox.event_id FROM inbox "
    "JOIN unnest(CAST(:ids AS text[])) AS wanted(event_id) ON inbox.event_id = wanted.event_id "
    "WHERE inbox.consumer = :consumer"
)
_POSTGRES_RECORD = text(
    "INSERT INTO inbox (consumer, event_id, processed_at) "
    "SELECT CAST(:consumer AS text), unnest(CAST(:ids AS text[])), CAST(:now AS timestamptz)"
)
# One bound parameter, a JSON array that SQLite expands itself (json_each): the statement runs
# in SQLite's thread without the GIL, where binding thousands of rows one by one would not.
_SQLITE_APPLIED = (
    "SELECT event_id FROM inbox WHERE consumer = ? AND event_id IN (SELECT value FROM json_each(?))"
)
_SQLITE_RECORD = "INSERT INTO inbox (consumer, event_id, processed_at) SELECT ?, value, ? FROM json_each(?)"


async def _applied_before(session: AsyncSession, consumer: str, ids: list[str]) -> set[str]:
    connection = await session.connection()
    if db.dialect(session) == "sqlite":
        result = await connection.exec_driver_sql(_SQLITE_APPLIED, (consumer, json.dumps(ids)))
    else:
        result = await connection.execute(_POSTGRES_APPLIED, {"consumer": consumer, "ids": ids})
    return {row[0] for row in result}


async def _record(session: AsyncSession, consumer: str, ids: list[str]) -> None:
    connection = await session.connection()
    if db.dialect(session) == "sqlite":
        # As the ORM stores a time on SQLite (UTC, no offset), so both kinds of row read alike.
        now = clock.now().strftime("%Y-%m-%d %H:%M:%S.%f")
        await connection.exec_driver_sql(_SQLITE_RECORD, (consumer, now, json.dumps(ids)))
    else:
        await connection.execute(_POSTGRES_RECORD, {"consumer": consumer, "ids": ids, "now": clock.now()})
