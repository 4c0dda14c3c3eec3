"""Kpi service's Kafka subscribers: thin, each applies its events exactly once.

Partner activity is the hot path: it is consumed in batches (one transaction, inbox rows and
one offset commit per batch), and each bad record of a batch is dead-lettered on its own
while the rest is applied.
"""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Union

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from services.kpi import service
from services.kpi.settings import KpiSettings
from shared import topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options, dead_letter_record
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.events.envelope import ContractError
from shared.events.intake import ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.partner import PARTNER_EVENT_BODIES, PartnerActivity, parse_kafka_record
from shared.events.roadmap import InitiativeApproved, PlanPhaseChanged
from shared.inbox import apply_once

PARTNER_ACTIVITY_DESCRIPTION = (
    "Operational facts from integration partners, as CloudEvents in Kafka binary mode: ce_id, "
    "ce_type (one of " + ", ".join(PARTNER_EVENT_BODIES) + "), ce_source, ce_time (when it "
    "happened), ce_subject = clinic id (or the key), ce_specversion 1.0; key = clinic id; value = "
    "the JSON body of that type (strict, unknown fields refused). Invalid records go to "
    "partner.activity.v1.dlq with the reason in the dlq_reason header."
)


# Headers through which a record carries trace context (W3C) or FastStream's correlation id.
TRACE_CONTEXT_HEADERS = frozenset({"traceparent", "tracestate", "baggage", "correlation_id"})


async def tolerant_batch_parser(
    records: tuple[ConsumerRecord[Any, Any], ...], original: Callable[..., Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's batch parser, but one record with a non-UTF-8 header cannot poison the batch.

    The stock parser decodes every header strictly; one bad byte would fail the whole batch on
    every redelivery, blocking the partition. Here such headers are decoded with replacement
    characters, so that record fails validation alone and is dead-lettered.

    The message's `batch_headers` are for the OpenTelemetry middleware, which extracts baggage
    from each record's headers and links the consume span to the records' producer spans. When
    no record of the batch carries trace context (partners' events usually do not), that work
    finds nothing at a cost of ~8 us a record, about a tenth of the hot path; the list is then
    left empty, and the span is the same: no parent, no links, no baggage. A batch in which any
    record carries trace context keeps every record's headers, traced exactly as before. The
    handler reads each record's headers from the record itself (`parse_kafka_record`).
    """
    try:
        message = await original(records)
    except UnicodeDecodeError:
        cleaned = tuple(
            dataclasses.replace(
                record,
                headers=[
                    (name, value.decode(errors="replace").encode()) for name, value in record.headers or ()
                ],
            )
            for record in records
        )
        message = await original(cleaned)
    if all(TRACE_CONTEXT_HEADERS.isdisjoint(headers) for headers in message.batch_headers):
        message.batch_headers = []
    return message


async def raw_batch(message: StreamMessage[Any]) -> Any:
    """Keep the batch's values as bytes: the handler validates each record against its type."""
    return message.body


class KpiHandlers:
    def __init__(self, sessions: SessionFactory, broker: KafkaBroker) -> None:
        self.sessions = sessions
        self.broker = broker

    async def on_clinic_registered(self, event: ClinicRegistered, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="kpi.on_clinic_registered",
            effect=lambda session: service.record_clinic(session=session, event=event),
        )

    async def on_clinic_updated(self, event: ClinicUpdated, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="kpi.on_clinic_updated",
            effect=lambda session: service.record_clinic(session=session, event=event),
        )

    async def on_initiative_approved(self, event: InitiativeApproved, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="kpi.on_initiative_approved",
            effect=lambda session: service.record_initiative(session=session, event=event),
        )

    async def on_plan_phase_changed(self, event: PlanPhaseChanged, message: KafkaMessage) -> None:
        await apply_once(
            self.sessions,
            headers=message.headers,
            consumer="kpi.on_plan_phase_changed",
            effect=lambda session: service.record_phase_change(session=session, event=event),
        )

    async def on_partner_activity(self, body: list[bytes], message: KafkaMessage) -> None:
        """Validate each record, apply the good ones in one transaction, dead-letter the bad."""
        now = datetime.now(UTC)
        good: list[PartnerActivity] = []
        bad: list[tuple[Any, ContractError]] = []
        for record in message.raw_message:
            try:
                good.append(parse_kafka_record(record.headers or (), record.key, record.value, now=now))
            except ContractError as problem:
                bad.append((record, problem))
        if good:
            async with self.sessions() as session:
                await service.apply_activity_batch(session=session, activities=good)
                # SQLite stays at synchronous=FULL (an fsync of the WAL per commit), not NORMAL:
                # the offsets are committed to Kafka right after this, so a commit lost to a
                # power cut would never be redelivered. Large batches amortize the fsync instead.
                await session.commit()
        # After the commit: a crash in between redelivers the batch; the good records are then
        # duplicates (skipped) and the bad ones are parked again (at least once, never lost).
        for record, error in bad:
            await dead_letter_record(self.broker, record, error)


def create_router(runtime: ServiceRuntime, settings: KpiSettings) -> KafkaRouter:
    handlers = KpiHandlers(runtime.sessions, runtime.broker)
    router = KafkaRouter()

    for topic, handler in (
        (topics.CLINIC_REGISTERED, handlers.on_clinic_registered),
        (topics.CLINIC_UPDATED, handlers.on_clinic_updated),
        (topics.INITIATIVE_APPROVED, handlers.on_initiative_approved),
        (topics.PLAN_PHASE_CHANGED, handlers.on_plan_phase_changed),
    ):
        router.subscriber(topic.name, **consumer_options(settings, topic.name))(handler)
    # The whole group shares the partitions (keyed by clinic), so more instances split the work
    # and each clinic's events are aggregated by one of them at a time: no double counting.
    router.subscriber(
        topics.PARTNER_ACTIVITY.name,
        batch=True,
        max_records=settings.activity_batch_size,
        batch_timeout_ms=settings.activity_batch_timeout_ms,
        parser=tolerant_batch_parser,
        decoder=raw_batch,
        title=f"{topics.PARTNER_ACTIVITY.name}:consume",
        description=PARTNER_ACTIVITY_DESCRIPTION,
        **consumer_options(settings, topics.PARTNER_ACTIVITY.name),
    )(handlers.on_partner_activity)
    # Documentation only (the outbox relay publishes): what goes out, and what partners send.
    router.publisher(
        topics.PARTNER_ACTIVITY.name,
        title=f"{topics.PARTNER_ACTIVITY.name}:publish",
        description="Events accepted over HTTP (POST /v1/partner-events), republished as they came. "
        + PARTNER_ACTIVITY_DESCRIPTION,
        schema=Union[tuple(PARTNER_EVENT_BODIES.values())],  # noqa: UP007
    )
    router.publisher(
        topics.KPI_SNAPSHOT.name,
        description="Weekly, per clinic with an active initiative: its KPI against baseline and target.",
        schema=KpiSnapshot,
    )
    router.publisher(
        topics.KPI_ALERT.name,
        description="Adoption decline and target regression, with the numbers that triggered them.",
        schema=KpiAlert,
    )
    return router
