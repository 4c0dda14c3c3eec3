"""Declared subscriptions (shared/subscriptions.py) on FastStream's in-memory broker, with the
real middlewares and a SQLite inbox: each event applied once, a bad one dead-lettered with the
reason, a batch applied in one transaction. Against a real broker: tests/integration/
test_dead_letter.py, test_kpi_kafka.py, test_dlq_replay.py and test_clinic_slice.py."""

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import db, topics
from shared.app import ServiceRuntime, create_runtime
from shared.counters import PROCESS_REGISTRY
from shared.events.envelope import Envelope
from shared.events.intake import ClinicArchived, ClinicRegistered
from shared.events.kpi import KpiSnapshot
from shared.inbox import InboxMessage
from shared.settings import SharedSettings
from shared.subscriptions import BatchSubscription, Subscription, handler_name, kafka_router

ARCHIVED = topics.CLINIC_ARCHIVED


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    settings = SharedSettings(
        service_name="subscriptions",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}",
        consumer_max_attempts=2,
    )
    runtime = create_runtime(settings, TracerProvider())
    async with runtime.engine.begin() as connection:
        await connection.run_sync(db.service_metadata(InboxMessage).create_all)
    yield runtime
    await runtime.engine.dispose()


class Parked:
    """What lands on a dead-letter topic: each record's reason."""

    def __init__(self, runtime: ServiceRuntime, topic: topics.Topic) -> None:
        self.reasons: list[str] = []

        @runtime.broker.subscriber(topic.dead_letter)
        async def parked(body: Any, message: KafkaMessage) -> None:
            self.reasons.append(message.headers["dlq_reason"])


def archived() -> ClinicArchived:
    return ClinicArchived(clinic_id=uuid.uuid4(), officer_id="officer-1", archived_at=datetime.now(UTC))


def headers(event_id: str | None = None) -> dict[str, str]:
    envelope = Envelope(type="test", source="/tests", subject="clinic", id=event_id or str(uuid.uuid4()))
    return envelope.to_headers()


def skipped(consumer: str) -> float:
    return (
        PROCESS_REGISTRY.get_sample_value("faio_inbox_duplicates_skipped_total", {"consumer": consumer})
        or 0.0
    )


async def test_each_event_is_applied_once_and_a_bad_one_dead_lettered(runtime: ServiceRuntime) -> None:
    applied: list[ClinicArchived] = []

    async def archive(*, session: AsyncSession, event: ClinicArchived) -> None:
        applied.append(event)

    runtime.broker.include_router(
        kafka_router(runtime, service="test", subscriptions=[Subscription(ARCHIVED, ClinicArchived, archive)])
    )
    parked = Parked(runtime, ARCHIVED)
    event, delivered = archived(), headers()
    before = skipped("test.on_clinic_archived")

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(event.model_dump_json().encode(), topic=ARCHIVED.name, headers=delivered)
        await broker.publish(event.model_dump_json().encode(), topic=ARCHIVED.name, headers=delivered)
        await broker.publish(b'{"clinic_id": "not a uuid"}', topic=ARCHIVED.name, headers=headers())

    assert applied == [event]
    assert skipped("test.on_clinic_archived") == before + 1
    [reason] = parked.reasons
    assert reason.startswith("invalid event: ") and "clinic_id" in reason


async def test_a_domain_function_may_take_the_envelope(runtime: ServiceRuntime) -> None:
    times: list[datetime] = []

    async def archive(*, session: AsyncSession, event: ClinicArchived, envelope: Envelope) -> None:
        times.append(envelope.time)

    runtime.broker.include_router(
        kafka_router(runtime, service="test", subscriptions=[Subscription(ARCHIVED, ClinicArchived, archive)])
    )
    delivered = headers()

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(archived().model_dump_json().encode(), topic=ARCHIVED.name, headers=delivered)

    assert times == [datetime.fromisoformat(delivered["ce_time"])]


async def test_what_a_handler_waits_for_comes_first_and_a_timeout_is_retried_then_parked(
    runtime: ServiceRuntime,
) -> None:
    steps: list[str] = []
    ready = True

    async def client() -> None:
        steps.append("waited")
        if not ready:
            raise TimeoutError("the workflow engine did not answer")

    async def archive(*, session: AsyncSession, event: ClinicArchived) -> None:
        steps.append("applied")

    subscription = Subscription(ARCHIVED, ClinicArchived, archive, waits_for=client)
    runtime.broker.include_router(kafka_router(runtime, service="test", subscriptions=[subscription]))
    parked = Parked(runtime, ARCHIVED)

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(archived().model_dump_json().encode(), topic=ARCHIVED.name, headers=headers())
        ready = False
        await broker.publish(archived().model_dump_json().encode(), topic=ARCHIVED.name, headers=headers())

    assert steps == ["waited", "applied", "waited", "waited"]  # two attempts (consumer_max_attempts)
    assert parked.reasons == ["TimeoutError: the workflow engine did not answer"]


def snapshot(week: str = "2026-W45") -> KpiSnapshot:
    return KpiSnapshot(clinic_id=uuid.uuid4(), kpi="missed_call_rate", week=week, value=0.2, sample_size=40)


async def test_a_batch_is_applied_in_one_transaction_each_event_once(runtime: ServiceRuntime) -> None:
    transactions: list[list[str]] = []

    async def record(*, session: AsyncSession, events: Sequence[KpiSnapshot]) -> None:
        transactions.append([event.week for event in events])

    batch = BatchSubscription(topics.KPI_SNAPSHOT, KpiSnapshot, record, max_records=100)
    runtime.broker.include_router(kafka_router(runtime, service="test", subscriptions=[batch]))
    parked = Parked(runtime, topics.KPI_SNAPSHOT)
    again = headers()
    before = skipped("test.on_kpi_snapshot")

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(
            snapshot("2026-W45").model_dump_json().encode(),
            b'{"week": "yesterday"}',
            snapshot("2026-W46").model_dump_json().encode(),
            topic=topics.KPI_SNAPSHOT.name,
            headers=again,
        )
        await broker.publish_batch(
            snapshot("2026-W47").model_dump_json().encode(),
            topic=topics.KPI_SNAPSHOT.name,
            headers=again,
        )

    # One id for every record here: the first valid one is applied, the rest are its duplicates.
    assert transactions == [["2026-W45"]]
    assert skipped("test.on_kpi_snapshot") == before + 2
    [reason] = parked.reasons
    assert reason.startswith("invalid event: ")


def test_a_contract_is_subscribed_on_its_own_topic_under_one_name(runtime: ServiceRuntime) -> None:
    async def archive(*, session: AsyncSession, event: Any) -> None: ...

    with pytest.raises(
        ValueError, match=re.escape("travels on intake.clinic.archived.v1, not intake.clinic.registered.v1")
    ):
        Subscription(topics.CLINIC_REGISTERED, ClinicArchived, archive)
    twice = [Subscription(ARCHIVED, ClinicArchived, archive)] * 2
    with pytest.raises(ValueError, match="twice"):
        kafka_router(runtime, service="test", subscriptions=twice)
    assert handler_name(ClinicRegistered) == "on_clinic_registered"
