"""The partner-activity hot path around the aggregator: how a batch of Kafka records becomes
FastStream's message, and how the writer applies batches behind the consumer, committing each
batch's offsets only once it is applied. The broker here is a stand-in; the real one is in
tests/integration/test_kpi_kafka.py and test_kpi_crash.py."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from services.kpi import aggregate
from services.kpi.aggregate import ActivityBatch, ActivityWriter
from services.kpi.handlers import partner_batch_parser
from services.kpi.models import KpiClinic
from shared import db, topics
from shared.counters import PROCESS_REGISTRY
from tests.polling import eventually

CLINIC = uuid.uuid4()
NOW = datetime.now(UTC)


def consumer_record(offset: int, *, partition: int = 0, **extra_headers: bytes) -> ConsumerRecord[Any, Any]:
    headers = {
        "ce_id": f"event-{partition}-{offset}".encode(),
        "ce_type": b"partner.call.missed",
        "ce_source": b"/phones",
        "ce_specversion": b"1.0",
        "ce_time": (NOW - timedelta(hours=1)).isoformat().encode(),
        "ce_subject": str(CLINIC).encode(),
    } | extra_headers
    value = json.dumps({"wait_seconds": offset}).encode()
    return ConsumerRecord(
        topic=topics.PARTNER_ACTIVITY.name,
        partition=partition,
        offset=offset,
        timestamp=1_700_000_000_000 + offset,
        timestamp_type=0,
        key=str(CLINIC).encode(),
        value=value,
        checksum=None,
        serialized_key_size=36,
        serialized_value_size=len(value),
        headers=tuple(headers.items()),
    )


def stock_parser() -> AioKafkaBatchParser:
    return AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)


async def test_an_untraced_batch_is_faststreams_message_without_decoded_headers() -> None:
    records = tuple(consumer_record(offset) for offset in range(5))
    stock = await stock_parser().parse_batch(records)

    message = await partner_batch_parser(records, stock_parser().parse_batch)

    assert message.raw_message == records
    assert message.body == stock.body
    assert message.message_id == stock.message_id
    assert message.headers == stock.headers
    assert message.batch_headers == []  # nothing for the tracer to extract, record by record


async def test_a_batch_with_trace_context_keeps_every_records_headers() -> None:
    traceparent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    records = (consumer_record(0), consumer_record(1, traceparent=traceparent), consumer_record(2))
    stock = await stock_parser().parse_batch(records)

    message = await partner_batch_parser(records, stock_parser().parse_batch)

    assert message.batch_headers == stock.batch_headers
    assert message.batch_headers[1]["traceparent"] == traceparent.decode()


async def test_a_header_that_is_not_utf8_fails_its_record_not_the_batch() -> None:
    records = (consumer_record(0, ce_subject=b"\xff\xfe"), consumer_record(1))
    with pytest.raises(UnicodeDecodeError):
        await stock_parser().parse_batch(records)

    message = await partner_batch_parser(records, stock_parser().parse_batch)
    batch = await ActivityBatch.parse(message.raw_message, now=NOW)

    assert [activity.event_id for activity in batch.good] == ["event-0-1"]
    [(record, error)] = batch.bad
    assert record.offset == 0
    assert "ce_subject" in str(error)


async def test_a_batch_ends_after_the_last_record_of_each_partition() -> None:
    records = [
        consumer_record(7, partition=0),
        consumer_record(3, partition=1),
        consumer_record(8, partition=0),
    ]

    batch = await ActivityBatch.parse(records, now=NOW)

    topic = topics.PARTNER_ACTIVITY.name
    assert batch.next_offsets == {TopicPartition(topic, 0): 9, TopicPartition(topic, 1): 4}


class RecordingConsumer:
    """Stands in for aiokafka's consumer: notes each commit and what was applied by then."""

    def __init__(self, sessions: db.SessionFactory) -> None:
        self.sessions = sessions
        self.commits: list[tuple[dict[TopicPartition, int], float]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        async with self.sessions() as session:
            totals = await aggregate.clinic_totals(session=session, clinic_ids=[CLINIC])
        self.commits.append((offsets, totals.get(CLINIC, 0.0)))


@pytest.fixture(autouse=True)
async def known_clinic(kpi_sessions: db.SessionFactory) -> None:
    """CLINIC registered with kpi: events for a clinic it does not know are dead-lettered."""
    async with kpi_sessions() as session:
        session.add(KpiClinic(id=CLINIC, officer_id="officer-batches", name="Batch Clinic"))
        await session.commit()


async def test_records_for_an_unknown_clinic_are_dead_lettered_and_the_rest_applied(
    kpi_sessions: db.SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    parked: list[tuple[int, str]] = []

    async def dead_letter(_broker: Any, record: ConsumerRecord[Any, Any], error: Exception) -> None:
        parked.append((record.offset, str(error)))

    monkeypatch.setattr(aggregate, "dead_letter_record", dead_letter)
    stranger = uuid.uuid4()
    stray = consumer_record(1, ce_subject=str(stranger).encode())
    stray = dataclasses.replace(stray, key=str(stranger).encode())
    batch = await ActivityBatch.parse([consumer_record(0), stray, consumer_record(2)], now=NOW)
    writer, consumer = writer_and_consumer(kpi_sessions)

    await writer.submit(batch, cast(AIOKafkaConsumer, consumer))
    await writer.close()

    assert [offset for offset, _ in parked] == [1]
    assert f"clinic {stranger} is not registered with kpi" in parked[0][1]
    assert consumer.commits == [({TopicPartition(topics.PARTNER_ACTIVITY.name, 0): 3}, 2.0)]


def writer_and_consumer(sessions: db.SessionFactory) -> tuple[ActivityWriter, RecordingConsumer]:
    return ActivityWriter(sessions, KafkaBroker(), pseudonym_secret="test-pseudonyms"), RecordingConsumer(
        sessions
    )


async def batch_of(offsets: range) -> ActivityBatch:
    return await ActivityBatch.parse([consumer_record(offset) for offset in offsets], now=NOW)


async def test_batches_are_applied_in_order_and_committed_after_their_transaction(
    kpi_sessions: db.SessionFactory,
) -> None:
    writer, consumer = writer_and_consumer(kpi_sessions)

    await writer.submit(await batch_of(range(0, 3)), cast(AIOKafkaConsumer, consumer))
    await writer.submit(await batch_of(range(3, 5)), cast(AIOKafkaConsumer, consumer))
    await writer.close()

    partition = TopicPartition(topics.PARTNER_ACTIVITY.name, 0)
    assert consumer.commits == [({partition: 3}, 3.0), ({partition: 5}, 5.0)]


async def test_a_failed_write_is_retried_and_nothing_is_committed_before_it_succeeds(
    kpi_sessions: db.SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, consumer = writer_and_consumer(kpi_sessions)
    real_apply = aggregate.apply_activity_batch
    attempts = 0

    async def flaky_apply(**kwargs: Any) -> aggregate.BatchOutcome:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("database is locked")
        return await real_apply(**kwargs)

    monkeypatch.setattr(aggregate, "apply_activity_batch", flaky_apply)
    monkeypatch.setattr(aggregate, "MAX_RETRY_SECONDS", 0.3)  # the writer's first back-off

    await writer.submit(await batch_of(range(0, 4)), cast(AIOKafkaConsumer, consumer))

    async def first_attempt_failed() -> bool:
        return attempts == 1

    await eventually(first_attempt_failed, what="the first attempt")
    assert consumer.commits == []  # it failed: the batch's offsets are not committed
    await writer.close()

    assert attempts == 2
    assert consumer.commits == [({TopicPartition(topics.PARTNER_ACTIVITY.name, 0): 4}, 4.0)]


def duplicates_skipped(consumer: str) -> float:
    """faio_inbox_duplicates_skipped for `consumer`, as /metrics shows it."""
    value = PROCESS_REGISTRY.get_sample_value("faio_inbox_duplicates_skipped_total", {"consumer": consumer})
    return value or 0.0


async def test_a_redelivered_batch_moves_the_duplicates_skipped_figure(
    kpi_sessions: db.SessionFactory,
) -> None:
    writer, consumer = writer_and_consumer(kpi_sessions)
    before = duplicates_skipped(aggregate.ACTIVITY_CONSUMER)

    await writer.submit(await batch_of(range(0, 5)), cast(AIOKafkaConsumer, consumer))
    await writer.drain()
    assert duplicates_skipped(aggregate.ACTIVITY_CONSUMER) == before

    # Redelivered from offset 2 (a crash before the commit, say), with three new records.
    await writer.submit(await batch_of(range(2, 8)), cast(AIOKafkaConsumer, consumer))
    await writer.close()

    assert duplicates_skipped(aggregate.ACTIVITY_CONSUMER) == before + 3
    partition = TopicPartition(topics.PARTNER_ACTIVITY.name, 0)
    assert consumer.commits == [({partition: 5}, 5.0), ({partition: 8}, 8.0)]
