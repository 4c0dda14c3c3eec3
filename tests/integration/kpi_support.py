"""Helpers the KPI integration tests and benchmarks share (no tests here): clinics, partners,
signed requests, dead letters, and a kpi service in its own process."""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from standardwebhooks.webhooks import Webhook

from deploy.local.kafka import free_port
from services.kpi.models import KpiClinic
from services.kpi.settings import KpiSettings
from shared import clock, topics
from shared.auth import issue_token
from shared.events import ClinicRegistered, envelope_for
from tests.polling import eventually
from tests.services import RunningService

ROOT = Path(__file__).resolve().parents[2]


async def register_clinic(
    kpi: RunningService, *, officer_id: str, name: str = "Lakeside Clinic"
) -> uuid.UUID:
    """Publish intake's clinic.registered event and wait until kpi knows the clinic."""
    await asyncio.wait_for(kpi.app.state.broker_connected.wait(), timeout=60)
    clinic_id = uuid.uuid4()
    event = ClinicRegistered(
        clinic_id=clinic_id, officer_id=officer_id, name=name, specialty="family medicine", locations=1
    )
    envelope = envelope_for(event, source="/tests/intake", subject=str(clinic_id))
    await kpi.runtime.broker.publish(
        event.model_dump_json().encode(),
        topic=topics.CLINIC_REGISTERED.name,
        key=str(clinic_id).encode(),
        headers=envelope.to_headers(),
    )

    async def known() -> KpiClinic | None:
        async with kpi.runtime.sessions() as session:
            return await session.get(KpiClinic, clinic_id)

    await eventually(known, what=f"kpi to record clinic {clinic_id}")
    return clinic_id


def partner_event(
    clinic: uuid.UUID, event_type: str, data: dict[str, Any], *, when: datetime
) -> dict[str, Any]:
    """One structured CloudEvent as a partner sends it."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": event_type,
        "time": when.isoformat(),
        "subject": str(clinic),
        "data": data,
    }


def officer_headers(kpi: RunningService, officer_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(kpi.runtime.settings, officer_id=officer_id)}"}


async def register_partner(
    kpi: RunningService, *, officer_id: str, clinic_ids: list[uuid.UUID]
) -> dict[str, Any]:
    response = await kpi.http.post(
        "/v1/partners",
        json={"name": "Acme Phones", "kind": "phone", "clinic_ids": [str(item) for item in clinic_ids]},
        headers=officer_headers(kpi, officer_id),
    )
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    return partner


def signed(
    partner: dict[str, Any], body: bytes, *, webhook_id: str = "", timestamp: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for `body`, plus the partner's key."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or clock.now()
    signature = Webhook(partner["webhook_secret"]).sign(webhook_id, timestamp, body.decode())
    return {
        "Authorization": f"Bearer {partner['api_key']}",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/cloudevents-batch+json",
    }


async def post_events(
    kpi: RunningService, partner: dict[str, Any], events: list[dict[str, Any]], **signing: Any
) -> httpx.Response:
    body = json.dumps(events).encode()
    return await kpi.http.post("/v1/partner-events", content=body, headers=signed(partner, body, **signing))


# How far back dead_letters looks: a test reads its dead letters within seconds of parking them.
DEAD_LETTER_WINDOW_SECONDS = 120


async def dead_letters(bootstrap: str, *, ids: set[str]) -> dict[str, dict[str, str]]:
    """The DLQ records (their headers) of the given ce_ids, parked in the last two minutes.

    Read from the first record of that window, not the topic's start: in a full run the fault and
    scale tests leave more dead letters than a test could read in its wait. The window is Kafka's
    own record time (the broker's wall clock), which no test's clock moves.
    The body's size is added as the pseudo-header `body_bytes` (0 when it was withheld)."""
    since_ms = int((time.time() - DEAD_LETTER_WINDOW_SECONDS) * 1000)
    consumer = AIOKafkaConsumer(
        topics.PARTNER_ACTIVITY.dead_letter,
        bootstrap_servers=bootstrap,
        group_id=f"test-dlq-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[str, dict[str, str]] = {}
    moved: set[TopicPartition] = set()

    async def all_found() -> bool:
        batches = await consumer.getmany(timeout_ms=500)
        if fresh := consumer.assignment() - moved:  # assigned: skip to the window's first record
            starts = await consumer.offsets_for_times({partition: since_ms for partition in fresh})
            for partition, start in starts.items():
                if start is not None:
                    consumer.seek(partition, start.offset)
            moved.update(fresh)
        for records in batches.values():
            for record in records:
                headers = {name: value.decode() for name, value in record.headers}
                if headers.get("ce_id") in ids:
                    found[headers["ce_id"]] = {**headers, "body_bytes": str(len(record.value or b""))}
        return set(found) == ids

    try:
        await eventually(all_found, what=f"dead letters for {ids}")
    finally:
        await consumer.stop()
    return found


# --- a kpi service in its own process, over real HTTP (benchmarks, concurrency, the README) ---


@dataclass
class LiveKpi:
    """A kpi service run by uvicorn in a child process, as in production."""

    url: str
    work: Path
    process: subprocess.Popen[bytes]

    @property
    def database(self) -> Path:
        return self.work / "kpi.db"

    @property
    def log(self) -> Path:
        return self.work / "kpi.log"


def start_kpi_process(kafka: str, work: Path, **settings: str) -> LiveKpi:
    """Start kpi on a free port with its own database and consumer groups under `work`."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = os.environ | {
        "FAIO_ENVIRONMENT": "test",
        "FAIO_SERVICE_NAME": f"kpi-live-{uuid.uuid4().hex[:6]}",
        "FAIO_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "FAIO_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'kpi.db'}",
        "FAIO_TRACES_DIR": str(work / "traces"),
        "FAIO_EVALUATION_INTERVAL_SECONDS": "0",
        "FAIO_OUTBOX_POLL_SECONDS": "0.1",
    }
    env |= {f"FAIO_{name.upper()}": value for name, value in settings.items()}
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.kpi.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with (work / "kpi.log").open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return LiveKpi(url=f"http://127.0.0.1:{port}", work=work, process=process)


def stop_kpi_process(kpi: LiveKpi) -> None:
    kpi.process.terminate()
    try:
        kpi.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kpi.process.kill()
        kpi.process.wait()


async def until_ready(kpi: LiveKpi, within: float = 90) -> None:
    """Wait until the kpi process answers /healthz and consumes partner activity."""

    async def ready() -> bool:
        if kpi.process.poll() is not None:
            raise AssertionError(f"kpi exited with {kpi.process.returncode}; see {kpi.log}")
        log = await asyncio.to_thread(kpi.log.read_text, errors="replace")
        if f"topic='{topics.PARTNER_ACTIVITY.name}'" not in log:
            return False
        try:
            async with httpx.AsyncClient(base_url=kpi.url) as client:
                return (await client.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(ready, within=within, what=f"kpi at {kpi.url} (log: {kpi.log})")


@asynccontextmanager
async def live_kpi(kafka: str, work: Path, **settings: str) -> AsyncIterator[LiveKpi]:
    """A kpi process for the block; ready once it answers /healthz and consumes partner activity."""
    kpi = await asyncio.to_thread(start_kpi_process, kafka, work, **settings)
    try:
        await until_ready(kpi)
        yield kpi
    finally:
        await asyncio.to_thread(stop_kpi_process, kpi)


def live_officer_headers(officer_id: str) -> dict[str, str]:
    """An officer token as a kpi started by `live_kpi` (test settings) verifies it."""
    token = issue_token(KpiSettings(environment="test"), officer_id=officer_id)
    return {"Authorization": f"Bearer {token}"}


async def register_live_clinics(kafka: str, kpi: LiveKpi, *, officer_id: str, count: int) -> list[uuid.UUID]:
    """Announce `count` clinics as intake does (Kafka) and wait until the live kpi knows them all."""
    clinics = [uuid.uuid4() for _ in range(count)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for index, clinic_id in enumerate(clinics):
            event = ClinicRegistered(
                clinic_id=clinic_id,
                officer_id=officer_id,
                name=f"Clinic {index}",
                specialty="family medicine",
                locations=1,
            )
            envelope = envelope_for(event, source="/tests/intake", subject=str(clinic_id))
            await producer.send(
                topics.CLINIC_REGISTERED.name,
                event.model_dump_json().encode(),
                key=str(clinic_id).encode(),
                headers=[(name, value.encode()) for name, value in envelope.to_headers().items()],
            )
        await producer.flush()
    finally:
        await producer.stop()
    headers = live_officer_headers(officer_id)
    async with httpx.AsyncClient(base_url=kpi.url, headers=headers, timeout=30) as client:
        for clinic_id in clinics:

            async def known(clinic_id: uuid.UUID = clinic_id) -> bool:
                return (await client.get(f"/v1/clinics/{clinic_id}/kpi-alerts")).status_code == 200

            await eventually(known, within=60, what=f"kpi to know clinic {clinic_id}")
    return clinics


async def create_live_partner(
    kpi: LiveKpi, *, officer_id: str, clinic_ids: list[uuid.UUID]
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=kpi.url, headers=live_officer_headers(officer_id)) as client:
        response = await client.post(
            "/v1/partners",
            json={"name": "Bench Phones", "kind": "phone", "clinic_ids": [str(item) for item in clinic_ids]},
        )
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    return partner
