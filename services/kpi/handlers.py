"""What the kpi service consumes from Kafka, and what it publishes (shown at /asyncapi).

Clinics, initiatives and plan phases are declared subscriptions, each event applied exactly
once by a domain function (shared/subscriptions.py makes the subscribers). Partner activity is
the hot path: it is consumed in batches and handed to services.kpi.aggregate, which writes each
batch one behind the consumer (one transaction, inbox rows and one offset commit per batch) and
dead-letters each bad record on its own.
"""

import dataclasses
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Union, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from services.kpi.aggregate import ActivityBatch, ActivityWriter
from services.kpi.clinics import record_clinic, record_phase_change, record_target
from services.kpi.evaluation import record_initiative_and_past_baseline
from services.kpi.settings import KpiSettings
from shared import clock, topics
from shared.app import ServiceRuntime
from shared.broker import consumer_options
from shared.db import SessionFactory
from shared.events import ClinicRegistered
from shared.events.envelope import EventBody
from shared.events.intake import ClinicUpdated
from shared.events.kpi import ClinicActivity, KpiAlert, KpiSnapshot
from shared.events.partner import PARTNER_EVENT_BODIES
from shared.events.roadmap import InitiativeApproved, PlanPhaseChanged, PlanTargetSet
from shared.subscriptions import Subscription, kafka_router

PARTNER_ACTIVITY_DESCRIPTION = (
    "Operational facts from integration partners. Partners send them over HTTP only (POST "
    "/v1/partner-events); kpi alone writes this topic, staff ids keyed (fp-...): a record naming "
    "staff by a raw id is dead-lettered. A single event travels as a CloudEvent in Kafka binary mode: ce_id, "
    "ce_type (one of " + ", ".join(PARTNER_EVENT_BODIES) + "), ce_source, ce_time (when it "
    "happened), ce_subject = clinic id (or the key), ce_specversion 1.0; key = clinic id; value = "
    "the JSON body of that type (strict, unknown fields refused). Events accepted over HTTP "
    "travel as one record per clinic and request: key = clinic id, content-type "
    "application/cloudevents-batch+json, value = a JSON array of structured CloudEvents. Invalid "
    "records, and invalid events of a batch record one by one, go to partner.activity.v1.dlq with "
    "the reason in the dlq_reason header."
)


# Headers through which a record carries trace context (W3C) or FastStream's correlation id.
TRACE_CONTEXT_HEADERS = frozenset({"traceparent", "tracestate", "baggage", "correlation_id"})


async def partner_batch_parser(
    records: tuple[ConsumerRecord[Any, Any], ...], original: Callable[..., Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's batch message, decoding headers only where someone reads them.

    FastStream's parser decodes every record's headers into `batch_headers`, for the
    OpenTelemetry middleware: it extracts baggage from each record and links the consume span
    to the records' producer spans. When no record of the batch carries trace context
    (partners' events usually do not), all that finds nothing, at about a tenth of the hot
    path. Such a batch is parsed from its first record only and given the batch's records
    and values: the span is the same (no parent, no links, no baggage). A batch in which any
    record carries trace context is parsed and traced exactly as before. The handler reads
    each record's headers from the record itself (`parse_kafka_record`).

    FastStream also decodes strictly: one non-UTF-8 header byte would fail the whole batch
    on every redelivery, blocking the partition. Such headers are decoded with replacement
    characters, so that record fails validation alone and is dead-lettered.
    """
    traced = any(name in TRACE_CONTEXT_HEADERS for record in records for name, _ in record.headers or ())
    if traced:
        return await _parse_tolerantly(records, original)
    message = await _parse_tolerantly(records[:1], original)
    first, last = records[0], records[-1]
    message.raw_message = records
    message.body = [record.value or b"" for record in records]
    message.batch_headers = []
    message.message_id = f"{first.offset}-{last.offset}-{first.timestamp}"  # as FastStream's own
    return message


async def _parse_tolerantly(
    records: tuple[ConsumerRecord[Any, Any], ...], original: Callable[..., Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    try:
        return await original(records)
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
        return await original(cleaned)


async def raw_batch(message: StreamMessage[Any]) -> Any:
    """Keep the batch's values as bytes: the handler validates each record against its type."""
    return message.body


def subscriptions(settings: KpiSettings) -> tuple[Subscription[Any], ...]:
    """What kpi consumes; the pilot group is keyed with the deployment's pseudonym secret."""
    record_initiative = partial(
        record_initiative_and_past_baseline, pseudonym_secret=settings.pseudonym_secret
    )
    return (
        Subscription(topics.CLINIC_REGISTERED, ClinicRegistered, record_clinic),
        Subscription(topics.CLINIC_UPDATED, ClinicUpdated, record_clinic),
        Subscription(topics.INITIATIVE_APPROVED, InitiativeApproved, record_initiative),
        Subscription(topics.PLAN_PHASE_CHANGED, PlanPhaseChanged, record_phase_change),
        Subscription(topics.PLAN_TARGET_SET, PlanTargetSet, record_target),
    )


# The outbox relay publishes these; declared here for the documentation.
PUBLISHES: dict[type[EventBody], str] = {
    KpiSnapshot: "Weekly, per clinic with an active initiative: its KPI against baseline and target.",
    KpiAlert: "Adoption decline and target regression, with the numbers that triggered them.",
    ClinicActivity: "Per clinic with partner data, when it changes: each feed's last event and whether it "
    "went quiet, and AI use week by week (counts only).",
}


class PartnerActivityHandler:
    """The hot path, consumed in batches of raw records and written behind the consumer.

    Not a declared subscription: its records are validated by partner_batches (one record may
    hold a partner's whole HTTP batch), unknown clinics are set aside, and the ActivityWriter
    commits each batch's own offsets once applied (its inbox: shared.inbox.first_deliveries,
    as every subscription's).
    """

    def __init__(self, sessions: SessionFactory, broker: KafkaBroker, *, pseudonym_secret: str) -> None:
        self.activity_writer = ActivityWriter(sessions, broker, pseudonym_secret=pseudonym_secret)

    async def on_partner_activity(self, body: list[bytes], message: KafkaMessage) -> None:
        """Validate each record, then hand the batch to the writer, which commits its offsets.

        Returns as soon as the previous batch is written: this batch's write overlaps reading
        and validating the next one.
        """
        try:
            batch = await ActivityBatch.parse(message.raw_message, now=clock.now())
            # FastStream types the consumer as a protocol with only commit(); it is aiokafka's.
            await self.activity_writer.submit(batch, cast(AIOKafkaConsumer, message.consumer))
        except Exception:
            await message.nack()  # nothing of this batch was written: seek back, read it again
            raise


def create_router(runtime: ServiceRuntime) -> KafkaRouter:
    settings = cast(KpiSettings, runtime.settings)
    router = kafka_router(runtime, service="kpi", subscriptions=subscriptions(settings), publishes=PUBLISHES)
    partner_activity = PartnerActivityHandler(
        runtime.sessions, runtime.broker, pseudonym_secret=settings.pseudonym_secret
    )
    # Before the broker stops: the batch being written commits its offsets.
    runtime.on_stop(partner_activity.activity_writer.close)
    # The whole group shares the partitions (keyed by clinic), so more instances split the work
    # and each clinic's events are aggregated by one of them at a time: no double counting.
    router.subscriber(
        topics.PARTNER_ACTIVITY.name,
        batch=True,
        max_records=settings.activity_batch_size,
        batch_timeout_ms=settings.activity_batch_timeout_ms,
        parser=partner_batch_parser,
        decoder=raw_batch,
        title=f"{topics.PARTNER_ACTIVITY.name}:consume",
        description=PARTNER_ACTIVITY_DESCRIPTION,
        # The ActivityWriter commits each batch's own offsets once it is applied; FastStream's
        # ack would commit the consumer's position, past batches still being written.
        **consumer_options(settings, topics.PARTNER_ACTIVITY.name) | {"ack_policy": AckPolicy.MANUAL},
    )(partner_activity.on_partner_activity)
    # Documentation only (the outbox relay publishes): what goes out, and what partners send.
    router.publisher(
        topics.PARTNER_ACTIVITY.name,
        title=f"{topics.PARTNER_ACTIVITY.name}:publish",
        description="Events accepted over HTTP (POST /v1/partner-events), one record per clinic and request. "
        + PARTNER_ACTIVITY_DESCRIPTION,
        schema=Union[tuple(PARTNER_EVENT_BODIES.values())],  # noqa: UP007
    )
    return router
