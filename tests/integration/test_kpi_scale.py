"""Horizontal scale on the real broker: two KPI instances share partner.activity.v1's partitions
as one consumer group, each takes part, and the totals count every event exactly once."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import clock, topics
from tests.front_door import BATCH_HEADERS, front_door_records
from tests.integration.kpi_support import partner_event, register_clinic
from tests.integration.test_kpi_kafka import produce, total_events
from tests.polling import eventually
from tests.services import RunningService, running

CLINICS = 20
EVENTS_PER_CLINIC = 100
PER_REQUEST = 25


def partner_partitions(kpi: RunningService) -> set[TopicPartition]:
    """The partitions of partner.activity.v1 this instance's consumer holds right now."""
    for subscriber in kpi.runtime.broker.subscribers:
        consumer: Any = getattr(subscriber, "consumer", None)
        if consumer is not None and topics.PARTNER_ACTIVITY.name in getattr(
            subscriber, "topic_names_for_subscribe", ()
        ):
            partitions: set[TopicPartition] = consumer.assignment()
            return partitions
    return set()


def batches_processed(spans: InMemorySpanExporter) -> int:
    return sum(
        1
        for span in spans.get_finished_spans()
        if topics.PARTNER_ACTIVITY.name in span.name and "process" in span.name
    )


async def test_two_instances_share_the_partitions_and_count_each_event_once(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    first_spans, second_spans = InMemorySpanExporter(), InMemorySpanExporter()
    # Both instances use the same database (tmp_path/kpi.db), as replicas of one service do.
    async with (
        running("kpi", kafka=kafka, data_dir=tmp_path, spans=first_spans) as first,
        running("kpi", kafka=kafka, data_dir=tmp_path, spans=second_spans) as second,
    ):
        instances = (first["kpi"], second["kpi"])

        async def partitions_split() -> bool:
            held = [partner_partitions(instance) for instance in instances]
            return all(held) and not (held[0] & held[1]) and len(held[0] | held[1]) == 6

        await eventually(partitions_split, within=60, what="both instances to hold partitions")

        clinics = [await register_clinic(first["kpi"], officer_id=officer) for _ in range(CLINICS)]
        when = datetime.now(UTC) - timedelta(hours=3)
        for clinic in clinics:
            # As the front door publishes them: a record per clinic and partner request.
            answered = {"wait_seconds": 20}
            requests = [
                front_door_records(
                    [
                        partner_event(clinic, "partner.call.answered", answered, when=when)
                        for _ in range(PER_REQUEST)
                    ],
                    now=clock.now(),
                )
                for _ in range(EVENTS_PER_CLINIC // PER_REQUEST)
            ]
            await produce(kafka, clinic, [(BATCH_HEADERS, packed[clinic]) for packed in requests])

        for clinic in clinics:

            async def counted(clinic: uuid.UUID = clinic) -> bool:
                return await total_events(first["kpi"], clinic, EVENTS_PER_CLINIC)

            await eventually(counted, within=60, what=f"{EVENTS_PER_CLINIC} events of clinic {clinic}")

    assert batches_processed(first_spans) > 0
    assert batches_processed(second_spans) > 0
