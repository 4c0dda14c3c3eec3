"""The idempotent consumer: an inbox row per processed event, in the same transaction as the effect."""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.counters import INBOX_DUPLICATES
from shared.db import SessionFactory
from shared.events.envelope import Envelope


class InboxMessage(SQLModel, table=True):
    """An event this service has already applied; a redelivery finds it and changes nothing."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=100)
    processed_at: datetime = Field(default_factory=clock.now)


async def first_delivery(session: AsyncSession, *, consumer: str, event_id: str) -> bool:
    """Record the event as processed by `consumer`; False if it already was.

    Call inside the transaction that applies the effect: both commit, or neither does.
    A concurrent duplicate loses on the primary key at commit and is retried, then skipped.
    """
    if await session.get(InboxMessage, (consumer, event_id)) is not None:
        INBOX_DUPLICATES.labels(consumer).inc()
        return False
    session.add(InboxMessage(consumer=consumer, event_id=event_id))
    await session.flush()
    return True


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
