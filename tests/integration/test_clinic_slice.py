"""The thin slice, on the real broker and Temporal server: one clinic registered at intake
reaches audit, roadmap and kpi, in one trace."""

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from services.audit.models import AuditClinic
from services.kpi.models import KpiClinic
from services.roadmap.models import RoadmapClinic
from shared.outbox import OutboxMessage
from tests.polling import eventually
from tests.services import Platform, registered_officer, running, service_of

CLINIC = {
    "name": "Riverside Family Practice",
    "specialty": "family medicine",
    "locations": 2,
    "staff": [
        {"role": "front desk", "headcount": 3, "hourly_cost": 24.0},
        {"role": "physician", "headcount": 4, "hourly_cost": 120.0},
    ],
    "systems": {"emr": "athenahealth", "phone": "RingCentral"},
}


async def test_registered_clinic_reaches_every_service_in_one_trace(
    kafka: str, temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    spans = InMemorySpanExporter()
    target = temporal.client.service_client.config.target_host

    async with running(
        "intake",
        "audit",
        "roadmap",
        "kpi",
        kafka=kafka,
        data_dir=tmp_path,
        spans=spans,
        temporal_address=target,
        task_queue=f"roadmap-{uuid.uuid4()}",
    ) as platform:
        _, token = await registered_officer(platform["intake"].http)
        response = await platform["intake"].http.post(
            "/v1/clinics", json=CLINIC, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.text
        clinic_id = uuid.UUID(response.json()["id"])

        async def published() -> OutboxMessage | None:
            async with platform["intake"].runtime.sessions() as session:
                statement = select(OutboxMessage).where(OutboxMessage.key == str(clinic_id))
                row = (await session.exec(statement)).one()
                return row if row.published_at else None

        await eventually(published, what="intake's outbox row to be published")

        for service, table in (("audit", AuditClinic), ("roadmap", RoadmapClinic), ("kpi", KpiClinic)):
            row = await eventually(
                recorded_in(platform, service, table, clinic_id), what=f"{service} to record the clinic"
            )
            assert row.name == CLINIC["name"]

        audit_clinic = await eventually(recorded_in(platform, "audit", AuditClinic, clinic_id))
        assert {role["role"] for role in audit_clinic.staff} == {"front desk", "physician"}

    http_span = next(
        span
        for span in spans.get_finished_spans()
        if span.kind.name == "SERVER" and "/v1/clinics" in span.name and span.parent is None
    )
    trace_id = http_span.context.trace_id
    in_trace = [span for span in spans.get_finished_spans() if span.context.trace_id == trace_id]
    names = [span.name for span in in_trace]
    assert any("intake.clinic.registered.v1" in name and "publish" in name for name in names), names
    consumers = {
        service_of(span)
        for span in in_trace
        if "intake.clinic.registered.v1" in span.name and "process" in span.name
    }
    assert consumers == {"audit", "roadmap", "kpi"}, names


def recorded_in(
    platform: Platform, service: str, table: type, key: uuid.UUID
) -> Callable[[], Awaitable[Any]]:
    async def check() -> Any:
        async with platform[service].runtime.sessions() as session:
            return await session.get(table, key)

    return check
