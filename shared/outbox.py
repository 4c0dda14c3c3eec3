"""The transactional outbox: a state change and its event commit together; a relay publishes.

Nothing is lost while Kafka is down: the row waits until the broker acknowledges it
(acks="all"), and only then is it marked published. A crash between the two can publish a
row twice; consumers are idempotent on the event id, so that is counted once downstream.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from sqlalchemy import JSON, Column, LargeBinary, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import SessionFactory
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
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    published_at: datetime | None = Field(default=None, index=True)


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
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size

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
        async with self.sessions() as session:
            statement = (
                select(OutboxMessage)
                .where(col(OutboxMessage.published_at).is_(None))
                .order_by(col(OutboxMessage.id))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)  # several relays never publish the same row
            )
            rows = (await session.exec(statement)).all()
            if not rows:
                return 0
            sent: list[asyncio.Future[Any]] = []
            stopped: Exception | None = None
            for row in rows:
                try:
                    sent.append(await self._publish(row))
                except Exception as error:  # noqa: BLE001 - re-raised below, after the marks
                    stopped = error  # the broker is down: send nothing more this round
                    break
            outcomes = await asyncio.gather(*sent, return_exceptions=True)
            published = [
                row.id
                for row, outcome in zip(rows, outcomes, strict=False)
                if not isinstance(outcome, BaseException)
            ]
            if published:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(published))
                    .values(published_at=datetime.now(UTC))
                )
            await session.commit()  # keep the marks of the rows that did go out
            failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
            if stopped is not None or failures:
                raise stopped or failures[0]
            return len(published)

    async def _publish(self, row: OutboxMessage) -> "asyncio.Future[Any]":
        token = context.attach(propagate.extract(row.trace_context))
        try:
            return await self.broker.publish(
                row.payload, topic=row.topic, key=row.key.encode(), headers=dict(row.headers), no_confirm=True
            )
        finally:
            context.detach(token)
