"""Roadmap over the real broker and Temporal server: findings in, initiatives out, approval starts a plan.

The intake, audit and KPI events are published here by the test itself (their producers are
built alongside); the roadmap service consumes them exactly as it would in production, and a
worker with the real activities runs the plans against the service's own database.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment

from services.roadmap.models import Initiative, RoadmapPlan, RoadmapPlanNotice
from services.roadmap.plans.contracts import plan_workflow_id
from services.roadmap.plans.worker import create_worker
from shared.auth import issue_token
from shared.events import ClinicRegistered, EventBody, envelope_for
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.intake import AssessmentCompleted
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import PlanNoticeRaised
from shared.outbox import OutboxMessage
from shared.temporal import PLAN_KPI, PLAN_PHASE
from tests.browser.story import candidate
from tests.polling import eventually
from tests.services import Platform, running, service_of, tracer_provider

OFFICER = "officer-roadmap-a"
OTHER_OFFICER = "officer-roadmap-b"
SPANS = InMemorySpanExporter()  # every span of this module's service and worker


async def publish(platform: Platform, event: EventBody, clinic_id: uuid.UUID) -> None:
    """Publish an event the way its producer's outbox relay does (CloudEvents headers, clinic key)."""
    envelope = envelope_for(event, source="faio.test", subject=str(clinic_id))
    await platform["roadmap"].runtime.broker.publish(
        event.model_dump_json().encode(),
        topic=event.topic.name,
        key=str(clinic_id).encode(),
        headers=envelope.to_headers(),
    )


async def publish_assessment(platform: Platform, clinic_id: uuid.UUID) -> None:
    """Intake's readiness assessment of the clinic: ready."""
    await publish(
        platform,
        AssessmentCompleted(
            clinic_id=clinic_id,
            assessment_id=uuid.uuid4(),
            questionnaire_version="1",
            overall_score=70,
            level="ready",
            dimension_scores={"data": 80, "staff": 60},
            completed_at=datetime.now(UTC),
        ),
        clinic_id,
    )


DEFAULT_CANDIDATES = (
    candidate(1, "documentation", 20, 1_500),
    candidate(2, "patient communication", 15, 600),
    candidate(3, "appointment scheduling", 25, 900),
)


async def clinic_with_findings(
    platform: Platform,
    *,
    systems: dict[str, str],
    candidates: tuple[AutomationCandidate, ...] = DEFAULT_CANDIDATES,
) -> uuid.UUID:
    """Register a clinic and publish its assessment and audit (its ranked candidates); return its id."""
    clinic_id = uuid.uuid4()
    now = datetime.now(UTC)
    await publish(
        platform,
        ClinicRegistered(
            clinic_id=clinic_id,
            officer_id=OFFICER,
            name="Lakeside Pediatrics",
            specialty="pediatrics",
            locations=1,
            systems=systems,
        ),
        clinic_id,
    )
    await publish_assessment(platform, clinic_id)
    await publish(
        platform,
        AuditCompleted(
            clinic_id=clinic_id,
            audit_id=uuid.uuid4(),
            window_start=now.date(),
            window_end=now.date(),
            total_hours_per_week=60,
            total_cost_per_week=3_000,
            low_confidence=False,
            candidates=list(candidates),
            completed_at=now,
        ),
        clinic_id,
    )
    return clinic_id


@pytest.fixture(scope="module")
async def roadmap(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """One roadmap service and worker for this module (each test uses its own clinics)."""
    tmp_path = tmp_path_factory.mktemp("roadmap-api")
    task_queue = f"roadmap-api-{uuid.uuid4()}"
    target = temporal.client.service_client.config.target_host
    async with running(
        "roadmap", kafka=kafka, data_dir=tmp_path, spans=SPANS, temporal_address=target, task_queue=task_queue
    ) as platform:
        await asyncio.wait_for(platform["roadmap"].app.state.broker_connected.wait(), timeout=60)
        tracer = tracer_provider("roadmap-worker", SPANS).get_tracer("worker")
        worker_client = await Client.connect(target, interceptors=[TracingInterceptor(tracer)])
        async with create_worker(worker_client, task_queue, platform["roadmap"].runtime.sessions):
            yield platform


def auth(platform: Platform, officer: str = OFFICER) -> dict[str, str]:
    token = issue_token(platform["roadmap"].runtime.settings, officer_id=officer)
    return {"Authorization": f"Bearer {token}"}


async def initiatives_of(http: httpx.AsyncClient, clinic_id: uuid.UUID, headers: dict[str, str]) -> Any:
    async def ready() -> Any:
        response = await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
        body = response.json() if response.status_code == 200 else None
        return body if body and len(body["initiatives"]) == 3 and not body["waiting_for"] else None

    return await eventually(ready, what="the clinic's initiatives to be proposed")


async def approvals_staged(platform: Platform, clinic_id: uuid.UUID) -> list[OutboxMessage]:
    async with platform["roadmap"].runtime.sessions() as session:
        statement = select(OutboxMessage).where(
            OutboxMessage.key == str(clinic_id), OutboxMessage.topic == "roadmap.initiative.approved.v1"
        )
        return list((await session.exec(statement)).all())


async def plans_of(platform: Platform, clinic_id: uuid.UUID) -> list[RoadmapPlan]:
    async with platform["roadmap"].runtime.sessions() as session:
        statement = select(RoadmapPlan).where(RoadmapPlan.clinic_id == clinic_id)
        return list((await session.exec(statement)).all())


async def test_findings_become_ranked_initiatives_and_approval_starts_one_plan(roadmap: Platform) -> None:
    platform = roadmap
    http = platform["roadmap"].http
    headers = auth(platform)
    clinic_id = await clinic_with_findings(platform, systems={"emr": "athenahealth", "phone": "RingCentral"})

    body = await initiatives_of(http, clinic_id, headers)
    first, *rest = body["initiatives"]
    assert first["problem"] == "documentation"
    assert first["recommended"] is True
    assert body["recommended_id"] == first["id"]
    assert first["kpi"] == "documentation_minutes_per_note"
    assert first["suggested_target_pct"] == -10  # the controlled evidence, not the method's -30 %
    assert first["integrates"] is True
    assert "highest impact x readiness" in body["recommendation"]
    scheduling = next(item for item in rest if item["problem"] == "appointment scheduling")
    assert scheduling["integrates"] is False  # no scheduling system recorded
    assert scheduling["rank"] == 3  # its cost is higher than messaging's, its readiness halved

    other = auth(platform, OTHER_OFFICER)
    assert (await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=other)).status_code == 404
    assert (await http.get(f"/v1/clinics/{clinic_id}/initiatives")).status_code == 401

    approve = f"/v1/initiatives/{first['id']}/approve"
    no_owner = await http.post(approve, json={"target_change_pct": -30}, headers=headers)
    assert no_owner.status_code == 422
    assert "owner" in no_owner.text
    blank_owner = await http.post(approve, json={"owner": "  ", "target_change_pct": -30}, headers=headers)
    assert blank_owner.status_code == 422
    # Names typed where a pseudonym belongs are refused by value, naming the field.
    for field, body in [
        ("owner", {"owner": "Jane Doe, MD", "target_change_pct": -30}),
        (
            "pilot_group",
            {"owner": "staff-lead-7", "target_change_pct": -30, "pilot_group": ["ma-1", "Jane Doe"]},
        ),
    ]:
        named = await http.post(approve, json=body, headers=headers)
        assert named.status_code == 422, body
        assert named.json()["detail"][0]["loc"][:2] == ["body", field]
        assert "name" in named.json()["detail"][0]["msg"]
    no_target = await http.post(approve, json={"owner": "staff-lead-7"}, headers=headers)
    assert no_target.status_code == 422
    assert "target_change_pct" in no_target.text
    assert (
        await http.post(approve, json={"owner": "staff-9", "target_change_pct": -30}, headers=other)
    ).status_code == 404
    assert await approvals_staged(platform, clinic_id) == []
    assert await plans_of(platform, clinic_id) == []

    approval = {"owner": "staff-lead-7", "target_change_pct": -30, "pilot_group": ["staff-3", "staff-9"]}
    approved = await http.post(approve, json=approval, headers=headers)
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]
    assert plan_id == plan_workflow_id(first["id"])
    assert approved.json()["status"] == "approved"
    [staged] = await approvals_staged(platform, clinic_id)
    assert b'"owner":"staff-lead-7"' in staged.payload

    second = await http.post(
        f"/v1/initiatives/{rest[0]['id']}/approve",
        json={"owner": "staff-2", "target_change_pct": 25},
        headers=headers,
    )
    assert second.status_code == 409
    assert "one problem first" in second.json()["detail"]
    again = await http.post(approve, json=approval, headers=headers)
    assert again.status_code == 409
    assert len(await approvals_staged(platform, clinic_id)) == 1
    assert [plan.id for plan in await plans_of(platform, clinic_id)] == [plan_id]

    async def baseline_recorded() -> Any:
        response = await http.get(f"/v1/plans/{plan_id}", headers=headers)
        plan = response.json()
        return plan if plan["transitions"] and plan["live"] else None

    plan = await eventually(baseline_recorded, what="the plan's worker to record its baseline phase")
    assert plan["phase"] == "baseline"

    # The Temporal UI lists the plan by clinic and phase, with the clinic's name in its memo.
    temporal = await platform["roadmap"].app.state.temporal.client(within=10)

    async def listed() -> list[Any] | None:
        found = [item async for item in temporal.list_workflows(f"FaioClinicId = '{clinic_id}'")]
        return found or None

    [execution] = await eventually(listed, what="the plan in Temporal's visibility by FaioClinicId")
    assert execution.id == plan_id
    assert execution.typed_search_attributes.get(PLAN_PHASE) == "baseline"
    assert execution.typed_search_attributes.get(PLAN_KPI) == "documentation_minutes_per_note"
    assert (await execution.memo())["clinic_name"] == "Lakeside Pediatrics"
    assert plan["live"]["next_milestone"] == "weekly check-in 1"
    assert plan["live"]["day_in_phase"] == 0
    assert (await http.get(f"/v1/plans/{plan_id}", headers=other)).status_code == 404

    not_at_gate = await http.post(
        f"/v1/plans/{plan_id}/decisions", json={"action": "continue"}, headers=headers
    )
    assert not_at_gate.status_code == 409
    assert not_at_gate.json()["detail"].startswith("the plan is not waiting for a gate decision")
    bad_action = await http.post(f"/v1/plans/{plan_id}/decisions", json={"action": "maybe"}, headers=headers)
    assert bad_action.status_code == 422

    wrong_way = await http.patch(f"/v1/plans/{plan_id}", json={"target_change_pct": 20}, headers=headers)
    assert wrong_way.status_code == 422
    assert wrong_way.json()["detail"].startswith("the target must keep its direction")
    assert (await http.post(f"/v1/plans/{plan_id}/pause", headers=headers)).status_code == 202
    assert (await http.post(f"/v1/plans/{plan_id}/pause", headers=headers)).status_code == 409

    async def paused() -> Any:
        live = (await http.get(f"/v1/plans/{plan_id}", headers=headers)).json()["live"]
        return live if live["paused"] else None

    await eventually(paused, what="the plan to pause")
    assert (await http.post(f"/v1/plans/{plan_id}/resume", headers=headers)).status_code == 202
    changed = await http.patch(f"/v1/plans/{plan_id}", json={"target_change_pct": -35}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["target_change_pct"] == -35

    await publish(
        platform,
        KpiSnapshot(
            clinic_id=clinic_id,
            kpi="documentation_minutes_per_note",
            week="2026-W48",
            value=16.0,
            baseline=20.0,
            target=13.0,
            sample_size=140,
        ),
        clinic_id,
    )

    async def kpi_relayed() -> Any:
        live = (await http.get(f"/v1/plans/{plan_id}", headers=headers)).json()["live"]
        return live if live["latest_kpi_value"] == 16.0 else None

    live = await eventually(kpi_relayed, what="the KPI snapshot to reach the plan")
    assert live["latest_kpi_progress"] == pytest.approx(20 / 35)  # -20 % of a -35 % target

    await publish(
        platform,
        KpiAlert(
            clinic_id=clinic_id,
            alert_id=uuid.uuid4(),
            kind="target_regression",
            kpi="documentation_minutes_per_note",
            week="2026-W48",
            message="documentation time back above baseline",
            evidence={"value": 21.0},
            raised_at=datetime.now(UTC),
        ),
        clinic_id,
    )

    async def alert_relayed() -> Any:
        notices = (await http.get(f"/v1/plans/{plan_id}", headers=headers)).json()["notices"]
        return [n for n in notices if n["kind"] == "kpi_alert"]

    [alert_notice] = await eventually(alert_relayed, what="the KPI alert to reach the plan and the officer")
    assert "back above baseline" in alert_notice["message"]

    plans = (await http.get(f"/v1/clinics/{clinic_id}/plans", headers=headers)).json()
    assert [item["id"] for item in plans] == [plan_id]
    assert plans[0]["transitions"][0]["phase"] == "baseline"

    async def phase_event_published() -> Any:
        async with platform["roadmap"].runtime.sessions() as session:
            statement = select(OutboxMessage).where(
                OutboxMessage.key == str(clinic_id),
                OutboxMessage.topic == "roadmap.plan.phase-changed.v1",
                col(OutboxMessage.published_at).is_not(None),
            )
            return (await session.exec(statement)).first()

    await eventually(phase_event_published, what="roadmap.plan.phase-changed.v1 to be published")

    # What the portal reads: the proposals (three, each re-ranking publishes them again) and one
    # notice event per notice, the relayed KPI alert among them.
    async with platform["roadmap"].runtime.sessions() as session:
        outbox_rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key == str(clinic_id)))
        ).all()
        notices = (
            await session.exec(select(RoadmapPlanNotice).where(RoadmapPlanNotice.plan_id == plan_id))
        ).all()
    proposed = [row for row in outbox_rows if row.topic == "roadmap.initiative.proposed.v1"]
    assert proposed and len(proposed) % 3 == 0
    raised = [
        PlanNoticeRaised.model_validate_json(row.payload)
        for row in outbox_rows
        if row.topic == "roadmap.plan.notice-raised.v1"
    ]
    assert sorted(event.key for event in raised) == sorted(notice.key for notice in notices)
    [alert_event] = [event for event in raised if event.kind == "kpi_alert"]
    assert (alert_event.phase, alert_event.urgent, alert_event.plan_id) == ("baseline", False, plan_id)

    # The plan's spans join the trace of the approval request, across the worker.
    approve_span = next(
        span
        for span in SPANS.get_finished_spans()
        if span.kind.name == "SERVER"
        and span.name.startswith("POST /v1/initiatives/")
        and span.parent is None
        and any(
            other.context.trace_id == span.context.trace_id and other.name.startswith("StartWorkflow")
            for other in SPANS.get_finished_spans()
        )
    )
    in_trace = [s for s in SPANS.get_finished_spans() if s.context.trace_id == approve_span.context.trace_id]
    names = {s.name for s in in_trace}
    assert "StartWorkflow:ImplementationPlanWorkflow" in names, names
    assert "RunWorkflow:ImplementationPlanWorkflow" in names, names
    assert "RunActivity:record_phase_change" in names, names
    assert {service_of(s) for s in in_trace} >= {"roadmap", "roadmap-worker"}
    temporal = await platform["roadmap"].app.state.temporal.client(within=5)
    await temporal.get_workflow_handle(plan_id).terminate("test over")


async def test_approval_refused_while_a_question_has_no_answer(roadmap: Platform) -> None:
    platform = roadmap
    http = platform["roadmap"].http
    headers = auth(platform)
    clinic_id = await clinic_with_findings(platform, systems={})  # systems unknown: integration unanswered

    body = await initiatives_of(http, clinic_id, headers)
    first = body["initiatives"][0]
    assert first["integrates"] is None
    refused = await http.post(
        f"/v1/initiatives/{first['id']}/approve",
        json={"owner": "staff-1", "target_change_pct": -30},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "integration" in refused.json()["detail"]
    async with platform["roadmap"].runtime.sessions() as session:
        initiative = await session.get(Initiative, (clinic_id, uuid.UUID(first["id"])))
        assert initiative is not None
        assert initiative.status == "proposed"
    assert await approvals_staged(platform, clinic_id) == []
    assert await plans_of(platform, clinic_id) == []
