"""Prometheus metrics, one registry per service: HTTP, Kafka, dead letters, outbox, inbox.

HTTP and Kafka figures come from well-kept instrumentation (prometheus-fastapi-instrumentator,
FastStream's Prometheus middleware); what is ours (dead letters by reason, the outbox backlog
and its oldest row, consumer lag per partition) is measured here. Gauges that need a query are
read when Prometheus scrapes, so an idle service does no work for them.
"""

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.counters import PROCESS_REGISTRY
from shared.db import SessionFactory
from shared.outbox import OutboxMessage


class ServiceMetrics:
    """The figures one service process exposes on /metrics."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self._scrape_reads: list[Callable[[AsyncSession], Awaitable[None]]] = []
        self.outbox_backlog = Gauge(
            "faio_outbox_backlog", "Outbox rows not yet published to Kafka.", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "faio_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet published (0 when there is none).",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "faio_consumer_lag",
            "Records on a partition not yet consumed by this service (high-water mark - position).",
            ["topic", "partition"],
            registry=self.registry,
        )

    def on_scrape(self, read: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """Have `read` refresh a service's own gauges from its database at every scrape."""
        self._scrape_reads.append(read)

    async def render(self, *, sessions: SessionFactory, broker: KafkaBroker) -> bytes:
        """The text exposition, with the scrape-time gauges refreshed first."""
        async with sessions() as session:
            await self._read_outbox(session)
            for read in self._scrape_reads:
                await read(session)
        await self._read_lag(broker)
        return generate_latest(self.registry) + generate_latest(PROCESS_REGISTRY)

    async def _read_outbox(self, session: AsyncSession) -> None:
        pending = col(OutboxMessage.published_at).is_(None) & col(OutboxMessage.parked_at).is_(None)
        count, oldest = (
            await session.exec(select(func.count(), func.min(OutboxMessage.created_at)).where(pending))
        ).one()
        self.outbox_backlog.set(count)
        if oldest is None:
            self.outbox_oldest_age.set(0)
        else:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            self.outbox_oldest_age.set(max(0.0, (clock.now() - oldest).total_seconds()))

    async def _read_lag(self, broker: KafkaBroker) -> None:
        self.consumer_lag.clear()
        for consumer in _consumers(broker):
            for partition in consumer.assignment():
                highwater = consumer.highwater(partition)
                if highwater is None:
                    continue  # nothing fetched yet on this partition
                position = await consumer.position(partition)
                self.consumer_lag.labels(partition.topic, str(partition.partition)).set(
                    max(0, highwater - position)
                )


def _consumers(broker: KafkaBroker) -> Iterable[Any]:
    for subscriber in broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is not None:
            yield consumer
