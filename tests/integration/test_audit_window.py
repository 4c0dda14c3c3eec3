"""On the real broker and a time-skipping Temporal server: audit windows close (on their own at
the end, or early by the officer) and audit.audit.completed.v1 arrives on Kafka with the ranked
candidates. Also: the worker process stops cleanly on SIGTERM."""

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from deploy.local.kafka import free_port
from services.audit.activities import AuditActivities
from services.audit.models import AuditClinic
from services.audit.settings import AuditSettings
from services.audit.windows import CLOSED_EARLY, WINDOW_ENDED, audit_workflow_id
from services.audit.workflows import AuditWindowWorkflow
from shared import topics
from shared.auth import issue_token
from shared.events import ClinicRegistered, StaffRole
from shared.events.audit import AuditCompleted
from shared.events.envelope import envelope_for
from tests.polling import eventually
from tests.services import RunningService, running

REPOSITORY = Path(__file__).resolve().parents[2]
ENTRIES = [
    {
        "staff_id": "fd-1",
        "role": "front desk",
        "category": "appointment_scheduling",
        "description": "reminder calls",
        "minutes": 3,
        "occurrences": 40,  # 120 min = 2 h x $24 = $48; score 48 x 1.0 x 0.9 = 43.2
        "predictability": "always_same",
    },
    {
        "staff_id": "dr-1",
        "role": "physician",
        "category": "documentation",
        "description": "visit notes",
        "minutes": 15,
        "occurrences": 12,  # 180 min = 3 h x $110 = $330; score 330 x 0.6 x 0.9 = 178.2
        "predictability": "mostly_same",
    },
]


def auth(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(AuditSettings(environment='test'), officer_id=officer)}"}


async def publish_clinic(kafka: str, event: ClinicRegistered) -> None:
    """What intake does when a clinic registers, published straight onto the broker."""
    envelope = envelope_for(event, source="/faio/intake", subject=str(event.clinic_id))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.CLINIC_REGISTERED.name,
            value=event.model_dump_json().encode(),
            key=str(event.clinic_id).encode(),
            headers=[(name, value.encode()) for name, value in envelope.to_headers().items()],
        )
    finally:
        await producer.stop()


@dataclass
class AuditedClinic:
    """One test's clinic, known to a running audit service whose worker runs in process."""

    service: RunningService
    clinic_id: uuid.UUID
    officer: str
    consumer: AIOKafkaConsumer
    raw_event: bytes = b""  # the completed event as it went over the wire

    async def completed_event(self) -> tuple[dict[str, bytes], AuditCompleted]:
        # Other tests' audits may be on the topic too: only this clinic's counts.
        async for record in self.consumer:
            if record.key == str(self.clinic_id).encode():
                assert record.value is not None
                self.raw_event = record.value
                return dict(record.headers), AuditCompleted.model_validate_json(record.value)
        raise AssertionError("consumer stopped")

    async def open_with_entries(self) -> str:
        headers = auth(self.officer)
        opened = await self.service.http.post(f"/v1/clinics/{self.clinic_id}/audits", headers=headers)
        assert opened.status_code == 201, opened.text
        audit_id: str = opened.json()["id"]
        today = datetime.now(UTC).date()
        assert opened.json()["ends_on"] == (today + timedelta(days=6)).isoformat()
        entries = [entry | {"day": today.isoformat()} for entry in ENTRIES]
        logged = await self.service.http.post(f"/v1/audits/{audit_id}/entries", json=entries, headers=headers)
        assert logged.status_code == 201, logged.text
        return audit_id


@asynccontextmanager
async def audited_clinic(
    kafka: str, env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[AuditedClinic]:
    clinic_id, officer = uuid.uuid4(), f"officer-{uuid.uuid4()}"
    task_queue = f"audit-{uuid.uuid4()}"
    target = env.client.service_client.config.target_host
    consumer = AIOKafkaConsumer(
        topics.AUDIT_COMPLETED.name, bootstrap_servers=kafka, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with running(
            "audit", kafka=kafka, data_dir=tmp_path, temporal_address=target, audit_task_queue=task_queue
        ) as platform:
            service = platform["audit"]
            activities = AuditActivities(service.runtime.sessions)
            async with Worker(
                env.client,
                task_queue=task_queue,
                workflows=[AuditWindowWorkflow],
                activities=[activities.complete_audit],
            ):
                await publish_clinic(
                    kafka,
                    ClinicRegistered(
                        clinic_id=clinic_id,
                        officer_id=officer,
                        name="Lakeside Pediatrics",
                        specialty="pediatrics",
                        locations=1,
                        staff=[
                            StaffRole(role="front desk", headcount=2, hourly_cost=24.0),
                            StaffRole(role="physician", headcount=1, hourly_cost=110.0),
                        ],
                    ),
                )

                async def clinic_known() -> AuditClinic | None:
                    async with service.runtime.sessions() as session:
                        return await session.get(AuditClinic, clinic_id)

                await eventually(clinic_known, what="audit to learn the clinic from intake's event")
                yield AuditedClinic(service=service, clinic_id=clinic_id, officer=officer, consumer=consumer)
    finally:
        await consumer.stop()


async def test_a_seven_day_window_closes_on_its_own_and_publishes_its_findings(
    kafka: str, time_skipping_temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with audited_clinic(kafka, time_skipping_temporal, tmp_path) as clinic:
        audit_id = await clinic.open_with_entries()
        handle = time_skipping_temporal.client.get_workflow_handle(audit_workflow_id(audit_id))
        assert await handle.query(AuditWindowWorkflow.status) == "open"

        # Nobody closes it: virtual time runs past the end of the window and the timer fires.
        waiting_for_event = asyncio.create_task(clinic.completed_event())
        await asyncio.wait_for(time_skipping_temporal.fast_forward(handle), timeout=60)
        assert await handle.result() == WINDOW_ENDED

        headers, event = await asyncio.wait_for(waiting_for_event, timeout=30)
        assert headers["ce_type"] == topics.AUDIT_COMPLETED.name.encode()
        assert headers["ce_subject"] == str(clinic.clinic_id).encode()
        assert event.audit_id == uuid.UUID(audit_id)
        assert event.close_reason == WINDOW_ENDED
        assert [(c.rank, c.category, c.score) for c in event.candidates] == [
            (1, "documentation", 178.2),
            (2, "appointment_scheduling", 43.2),
        ]
        assert event.candidates[0].solution.startswith("AI scribe")
        # Task descriptions are free text: the event carries how many tasks, never the tasks as logged.
        assert [c.distinct_tasks for c in event.candidates] == [1, 1]
        assert b"reminder calls" not in clinic.raw_event and b"visit notes" not in clinic.raw_event
        assert (event.total_hours_per_week, event.total_cost_per_week) == (5.0, 378.0)
        # 2 of 3 staff logged (67 %), both roles represented.
        assert event.low_confidence is False
        assert event.missing_staff == ["front desk: 1 of 2"]
        # It closed at the window's end on the workflow's (skipped-ahead) clock, not now.
        today = datetime.now(UTC).date()
        assert event.completed_at >= datetime.combine(
            today + timedelta(days=7), datetime.min.time(), tzinfo=UTC
        )

        findings = await clinic.service.http.get(
            f"/v1/audits/{audit_id}/findings", headers=auth(clinic.officer)
        )
        assert findings.status_code == 200
        assert findings.json()["close_reason"] == WINDOW_ENDED
        assert findings.json()["findings"]["candidates"][0]["category"] == "documentation"

        # The workflow code still replays its own recorded history (guards future changes).
        await Replayer(workflows=[AuditWindowWorkflow]).replay_workflow(await handle.fetch_history())


async def test_the_officer_closes_a_window_early_and_only_their_own(
    kafka: str, time_skipping_temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with audited_clinic(kafka, time_skipping_temporal, tmp_path) as clinic:
        audit_id = await clinic.open_with_entries()
        http = clinic.service.http
        close = f"/v1/audits/{audit_id}/close"

        assert (await http.post(close)).status_code == 401
        assert (await http.post(close, headers=auth("someone-else"))).status_code == 404
        assert (await http.get(f"/v1/audits/{audit_id}", headers=auth("someone-else"))).status_code == 404
        still_open = await http.get(f"/v1/audits/{audit_id}", headers=auth(clinic.officer))
        assert still_open.json()["status"] == "open"

        closing = await http.post(close, headers=auth(clinic.officer))
        assert closing.status_code == 202, closing.text
        _, event = await asyncio.wait_for(clinic.completed_event(), timeout=30)
        assert event.close_reason == CLOSED_EARLY
        assert event.audit_id == uuid.UUID(audit_id)
        handle = time_skipping_temporal.client.get_workflow_handle(audit_workflow_id(audit_id))
        assert await handle.result() == CLOSED_EARLY

        closed = await http.get(f"/v1/audits/{audit_id}", headers=auth(clinic.officer))
        assert closed.json()["status"] == "closed"
        # A new window may open now that the first one is closed.
        reopened = await http.post(f"/v1/clinics/{clinic.clinic_id}/audits", headers=auth(clinic.officer))
        assert reopened.status_code == 201, reopened.text


async def test_the_worker_process_stops_cleanly_on_sigterm(
    time_skipping_temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "FAIO_WORKER_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",  # never the fixed default port
        "FAIO_TEMPORAL_ADDRESS": time_skipping_temporal.client.service_client.config.target_host,
        "FAIO_TEMPORAL_TASK_QUEUE": f"audit-{uuid.uuid4()}",
        "FAIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}",
        "FAIO_TRACES_DIR": str(tmp_path / "traces"),
        "FAIO_ENVIRONMENT": "test",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.audit.worker",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPOSITORY,
    )
    assert worker.stderr is not None
    log = b""
    try:
        while b"polling task queue" not in log:
            line = await asyncio.wait_for(worker.stderr.readline(), timeout=30)
            assert line, f"worker exited before polling: {log.decode()}"
            log += line
        worker.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(worker.stderr.read(), timeout=30)
        assert await worker.wait() == 0, (log + rest).decode()
        assert b"audit worker shutting down" in rest
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
