"""The transactional outbox: a state change and its event commit together; a relay publishes.

Nothing is lost while Kafka is down: the row waits until the broker acknowledges it
(acks="all"), and only then is it marked published. A crash between the two can publish a
row twice; consumers are idempotent on the event id, so that is counted once downstream.

Replicas: on PostgreSQL each relay takes the rows no other relay holds (FOR UPDATE SKIP LOCKED),
and a row waits while an earlier row of its key is held elsewhere, so a clinic's events keep
their order. On SQLite, whose one writer is the whole file, one relay publishes at a time.

A row the broker can never take (larger than it accepts, say) must not hold back every row
behind it: it is parked with its reason, counted and logged once, and the relay moves on.
"""

import asyncio
import fcntl
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)
from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from sqlalchemy import JSON, Column, LargeBinary, and_, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.counters import OUTBOX_PARKED
from shared.db import SessionFactory, dialect, open_lock_file
from shared.events.envelope import Envelope, EventBody, envelope_for

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published, written in the same transaction as its cause."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)  # publish order
    event_id: str = Field(unique=True, max_length=100)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    headers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The W3C trace context of the request that wrote the row, so the publish joins its trace.
    trace_context: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=clock.now)
    published_at: datetime | None = Field(default=None, index=True)
    # Set when no retry can publish the row; an operator fixes the cause and clears it.
    parked_at: datetime | None = Field(default=None)
    parked_reason: str | None = Field(default=None, max_length=500)


PENDING = and_(col(OutboxMessage.published_at).is_(None), col(OutboxMessage.parked_at).is_(None))

# What no retry fixes: the broker refuses the record itself, not for now.
PERMANENT_PUBLISH_ERRORS = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
)


def add_to_outbox(session: AsyncSession, event: EventBody, *, source: str, subject: str) -> Envelope:
    """Stage `event` for publishing when the caller's transaction commits."""
    envelope = envelope_for(event, source=source, subject=subject)
    stage_envelope(session, envelope, topic=event.topic.name, payload=event.model_dump_json().encode())
    return envelope


def current_trace_context() -> dict[str, str]:
    """The W3C trace context of the running span, as an outbox row keeps it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def stage_envelope(
    session: AsyncSession,
    envelope: Envelope,
    *,
    topic: str,
    payload: bytes,
    trace_context: dict[str, str] | None = None,
) -> OutboxMessage:
    """Stage an event whose envelope the caller already has (a partner's own id and time, say).

    Keyed by the envelope's subject (the clinic id). `trace_context` defaults to the running
    span's; a caller staging many rows in one request passes it once.
    """
    return stage_record(
        session,
        row_id=envelope.id,
        topic=topic,
        key=envelope.subject,
        headers=envelope.to_headers(),
        payload=payload,
        trace_context=trace_context,
    )


def stage_record(
    session: AsyncSession,
    *,
    row_id: str,
    topic: str,
    key: str,
    headers: dict[str, str],
    payload: bytes,
    trace_context: dict[str, str] | None = None,
) -> OutboxMessage:
    """Stage one Kafka record as it is to be published (a batch of events in one record, say).

    `row_id` is unique among the service's outbox rows; for a single event it is its ce_id.
    """
    row = OutboxMessage(
        event_id=row_id,
        topic=topic,
        key=key,
        headers=headers,
        payload=payload,
        trace_context=current_trace_context() if trace_context is None else trace_context,
    )
    session.add(row)
    return row


class OutboxRelay:
    """Publishes outbox rows in order, for as long as the service runs."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        broker: KafkaBroker,
        poll_seconds: float = 0.5,
        batch_size: int = 100,
        max_record_bytes: int = 1_000_000,
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        # The broker's default message.max.bytes (about 1 MB): a larger record is refused for good.
        self.max_record_bytes = max_record_bytes
        engine = sessions.kw.get("bind")
        database = engine.url.database if engine is not None and engine.dialect.name == "sqlite" else None
        self._lock_path = Path(f"{database}.outbox-lock") if database not in (None, "", ":memory:") else None

    async def run(self) -> None:
        while True:
            try:
                published = await self.publish_pending()
            except Exception:  # the broker may be down: the rows wait and we retry
                log.warning("outbox relay could not publish; retrying", exc_info=True)
                published = 0
            if published < self.batch_size:
                await asyncio.sleep(self.poll_seconds)

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many went out.

        The rows' records are sent without waiting for each acknowledgement in turn (aiokafka
        keeps them in order per partition); a row is marked once its record is acknowledged.
        """
        with self._sqlite_turn() as turn:
            if not turn:
                return 0  # another relay on this SQLite file is publishing: its rows, in order
            return await self._publish_batch()

    async def _publish_batch(self) -> int:
        async with self.sessions() as session:
            statement = (
                select(OutboxMessage)
                .where(PENDING)
                .order_by(col(OutboxMessage.id))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)  # several relays never publish the same row
            )
            rows = await self._in_key_order(session, (await session.exec(statement)).all())
            if not rows:
                return 0
            sending, stopped = await self._send(rows)
            outcomes = await asyncio.gather(*(future for _, future in sending), return_exceptions=True)
            published = []
            failures: list[BaseException] = []
            for (row, _), outcome in zip(sending, outcomes, strict=True):
                if isinstance(outcome, PERMANENT_PUBLISH_ERRORS):
                    self._park(row, f"{type(outcome).__name__}: {outcome}")
                elif isinstance(outcome, BaseException):
                    failures.append(outcome)
                else:
                    published.append(row.id)
            if published:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(published))
                    .values(published_at=clock.now())
                )
            for row in rows:
                if row.parked_at is not None:
                    session.add(row)
            await session.commit()  # keep the marks of the rows that did go out, and the parked ones
            if stopped is not None or failures:
                raise stopped or failures[0]
            return len(published)

    @staticmethod
    async def _in_key_order(session: AsyncSession, rows: Sequence[OutboxMessage]) -> Sequence[OutboxMessage]:
        """The rows no earlier row of their key waits before (another relay holds it locked).

        Events of one clinic (one key) reach Kafka in the order they were written; with several
        relays on PostgreSQL, a row waits while an earlier row of its key is someone else's.
        """
        if not rows or dialect(session) != "postgresql":
            return rows  # SQLite: one relay at a time (_sqlite_turn)
        ids = [row.id for row in rows]
        earlier = await session.exec(
            select(OutboxMessage.key, func.min(OutboxMessage.id))
            .where(
                PENDING,
                col(OutboxMessage.key).in_({row.key for row in rows}),
                col(OutboxMessage.id).not_in(ids),
                col(OutboxMessage.id) < max(i for i in ids if i is not None),
            )
            .group_by(col(OutboxMessage.key))
        )
        first_elsewhere: dict[str, int] = {key: first or 0 for key, first in earlier.all()}
        return [
            row for row in rows if row.key not in first_elsewhere or (row.id or 0) < first_elsewhere[row.key]
        ]

    @contextmanager
    def _sqlite_turn(self) -> Iterator[bool]:
        """On a SQLite file, whether this relay may publish now: an exclusive lock on a file beside
        the database, never waited for. SQLite has no row locks to skip; its single writer is the
        whole database. Always True elsewhere (PostgreSQL skips the rows other relays hold)."""
        if self._lock_path is None:
            yield True
            return
        with open_lock_file(self._lock_path) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True  # closing the file releases the lock, also when this process is killed

    async def _send(
        self, rows: Sequence[OutboxMessage]
    ) -> tuple[list[tuple[OutboxMessage, "asyncio.Future[Any]"]], Exception | None]:
        """Hand the rows' records to the producer; stop at the first error a retry may fix."""
        sending: list[tuple[OutboxMessage, asyncio.Future[Any]]] = []
        for row in rows:
            size = self._record_bytes(row)
            if size > self.max_record_bytes:
                self._park(row, f"too large: {size} bytes, the broker takes at most {self.max_record_bytes}")
                continue
            try:
                sending.append((row, await self._publish(row)))
            except PERMANENT_PUBLISH_ERRORS as error:
                self._park(row, f"{type(error).__name__}: {error}")
            except Exception as error:  # noqa: BLE001 - returned, re-raised after the marks
                return sending, error  # the broker is down: send nothing more this round
        return sending, None

    @staticmethod
    def _record_bytes(row: OutboxMessage) -> int:
        return len(row.payload) + len(row.key) + sum(len(k) + len(v) for k, v in row.headers.items())

    @staticmethod
    def _park(row: OutboxMessage, reason: str) -> None:
        row.parked_at = clock.now()
        row.parked_reason = reason[:500]
        OUTBOX_PARKED.labels(row.topic, reason.split(":", 1)[0][:40]).inc()
        # Once: a parked row is never picked up again, so this is not repeated every poll.
        log.error(
            "outbox row %s (event %s on %s) parked, it can never be published: %s; "
            "fix the cause, then clear its parked_at to send it (docs/runbook.md#a-stuck-outbox)",
            row.id,
            row.event_id,
            row.topic,
            reason,
        )

    async def _publish(self, row: OutboxMessage) -> "asyncio.Future[Any]":
        token = context.attach(propagate.extract(row.trace_context))
        try:
            return await self.broker.publish(
                row.payload, topic=row.topic, key=row.key.encode(), headers=dict(row.headers), no_confirm=True
            )
        finally:
            context.detach(token)
