"""Crash safety on the real broker: the KPI consumer, a real process, is killed with SIGKILL in the
middle of 100,000 partner events and restarted; every total is exact (nothing lost, nothing
counted twice, duplicates once)."""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local.kafka import free_port
from services.kpi.settings import KpiSettings
from shared import topics
from tests.integration.kpi_support import seed_clinics
from tests.polling import eventually

EVENTS = 100_000
DUPLICATES = 2_000
CLINICS = 20
ROOT = Path(__file__).resolve().parents[2]


def start_consumer(kafka: str, tmp_path: Path, group: str, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "FAIO_ENVIRONMENT": "test",
        "FAIO_SERVICE_NAME": group,  # its own consumer group: it reads the topic from the start
        "FAIO_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "FAIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kpi.db'}",
        "FAIO_TRACES_DIR": str(tmp_path / "traces"),
        "FAIO_EVALUATION_INTERVAL_SECONDS": "0",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "services.kpi.app:create_app",
        "--port",
        str(free_port()),
    ]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def counted(database: Path, clinics: set[uuid.UUID]) -> dict[tuple[uuid.UUID, str], float]:
    """(clinic, counter) -> total, read straight from the service's database file."""
    if not database.exists():
        return {}
    with sqlite3.connect(database, timeout=10) as connection:
        try:
            rows = connection.execute(
                "SELECT clinic_id, name, SUM(value) FROM kpi_daily_counter GROUP BY clinic_id, name"
            ).fetchall()
        except sqlite3.OperationalError:  # tables not migrated yet
            return {}
    totals = {(uuid.UUID(clinic), name): total for clinic, name, total in rows}
    return {key: value for key, value in totals.items() if key[0] in clinics}


async def test_killed_consumer_restarts_with_exact_totals(kafka: str, tmp_path: Path) -> None:
    clinics = [uuid.uuid4() for _ in range(CLINICS)]
    start = datetime.now(UTC) - timedelta(days=30)
    expected: Counter[tuple[uuid.UUID, str]] = Counter()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=50, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        sent = []
        for index in range(EVENTS + DUPLICATES):
            original = index if index < EVENTS else index - EVENTS  # the last ones repeat earlier ids
            clinic = clinics[original % CLINICS]
            missed = original % 4 == 0
            event_type = "partner.call.missed" if missed else "partner.call.answered"
            if index < EVENTS:
                expected[(clinic, "events")] += 1
                expected[(clinic, "calls_missed" if missed else "calls_answered")] += 1
                expected[(clinic, "call_wait_seconds")] += 12
            headers = [
                ("ce_id", f"crash-{clinics[0]}-{original}".encode()),
                ("ce_type", event_type.encode()),
                ("ce_source", b"/tests/crash"),
                ("ce_specversion", b"1.0"),
                # Spread over 30 days: late and out-of-order events are ordinary here.
                ("ce_time", (start + timedelta(minutes=(original * 7919) % 43_000)).isoformat().encode()),
                ("ce_subject", str(clinic).encode()),
            ]
            sent.append(
                await producer.send(
                    topics.PARTNER_ACTIVITY.name,
                    value=b'{"wait_seconds": 12}',
                    key=str(clinic).encode(),
                    headers=headers,
                )
            )
        await producer.flush()
        await asyncio.gather(*sent)
    finally:
        await producer.stop()

    database = tmp_path / "kpi.db"
    await seed_clinics(f"sqlite+aiosqlite:///{database}", clinics)  # events for unknown clinics are refused
    wanted = set(clinics)
    log = tmp_path / "consumer.log"
    group = f"kpi-crash-{uuid.uuid4().hex[:8]}"
    first = start_consumer(kafka, tmp_path, group, log)
    try:

        async def part_way() -> float:
            done = sum(value for (_, name), value in counted(database, wanted).items() if name == "events")
            return done if done >= EVENTS * 0.2 else 0

        done_before_kill = await eventually(part_way, what="the consumer to get part-way")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert done_before_kill < EVENTS, "killed too late to prove anything"

    second = start_consumer(kafka, tmp_path, group, log)
    try:

        async def complete() -> bool:
            return counted(database, wanted) == dict(expected)

        try:
            await eventually(complete, within=50, what="exact totals after the restart")
        except AssertionError:
            got = counted(database, wanted)
            events = sum(value for (_, name), value in got.items() if name == "events")
            raise AssertionError(
                f"{events} events counted, expected {EVENTS}; log:\n{log.read_text()[-3000:]}"
            ) from None
        with sqlite3.connect(database) as connection:
            (inbox,) = connection.execute(
                "SELECT COUNT(*) FROM inbox WHERE event_id LIKE ?", (f"crash-{clinics[0]}-%",)
            ).fetchone()
        assert inbox == EVENTS
    finally:
        second.terminate()
        try:
            second.wait(timeout=15)
        except subprocess.TimeoutExpired:
            second.kill()
        await skip_backlog(kafka, f"{KpiSettings().consumer_group}.{topics.PARTNER_ACTIVITY.name}")


async def skip_backlog(kafka: str, group: str) -> None:
    """Move the kpi service's shared group past these 100,000 events, so the in-process kpi
    services of later tests do not have to chew through them before reaching their own."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topics.PARTNER_ACTIVITY.name, partition)
            for partition in range(topics.PARTNER_ACTIVITY.partitions)
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()
