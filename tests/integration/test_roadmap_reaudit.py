"""The admin plan's KPI re-measured by a short re-audit, through the real audit and roadmap services.

On the real broker and Temporal server: a clinic's first audit (front-desk admin work logged through
audit's API) ranks internal admin; the officer approves the admin initiative with that audit's hours
as the baseline; a re-audit opened during the plan, logged and closed early gives the plan one week of
hours on its problem (audit.audit.completed.v1 -> roadmap -> the plan's workflow).
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.audit.activities import AuditActivities
from services.audit.models import AuditClinic
from services.audit.workflows import AuditWindowWorkflow
from services.roadmap.plans.worker import create_worker
from shared.calendar import iso_week
from shared.events import ClinicRegistered, StaffRole
from tests.integration.test_audit_window import auth as audit_auth
from tests.integration.test_roadmap_api import OFFICER, auth, publish, publish_assessment
from tests.polling import eventually
from tests.services import Platform, running


@pytest.fixture(scope="module")
async def platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """audit and roadmap, each with its worker."""
    tmp_path = tmp_path_factory.mktemp("reaudit")
    plans, audits = f"reaudit-plans-{uuid.uuid4()}", f"reaudit-audits-{uuid.uuid4()}"
    target = temporal.client.service_client.config.target_host
    async with running(
        "audit",
        "roadmap",
        kafka=kafka,
        data_dir=tmp_path,
        temporal_address=target,
        task_queue=plans,
        audit_task_queue=audits,
    ) as started:
        for name in ("audit", "roadmap"):
            await started[name].app.state.broker_connected.wait()
        client = await Client.connect(target)
        audit_activities = AuditActivities(started["audit"].runtime.sessions)
        async with (
            create_worker(client, plans, started["roadmap"].runtime.sessions),
            Worker(
                client,
                task_queue=audits,
                workflows=[AuditWindowWorkflow],
                activities=[audit_activities.complete_audit],
            ),
        ):
            yield started


def admin_entry(minutes: float, occurrences: int) -> dict[str, Any]:
    """A front-desk admin task logged today (hours a week = minutes x occurrences, over the day logged)."""
    return {
        "staff_id": "fd-1",
        "role": "front desk",
        "category": "internal_admin",
        "description": "shared inbox triage",
        "minutes": minutes,
        "occurrences": occurrences,
        "predictability": "always_same",
        "day": datetime.now(UTC).date().isoformat(),
    }


async def audited_hours(platform: Platform, clinic_id: uuid.UUID, entry: dict[str, Any]) -> float:
    """Open an audit, log the entry, close it early: its hours a week on internal admin, as found."""
    http, headers = platform["audit"].http, audit_auth(OFFICER)
    opened = await http.post(f"/v1/clinics/{clinic_id}/audits", headers=headers)
    assert opened.status_code == 201, opened.text
    audit_id = opened.json()["id"]
    logged = await http.post(f"/v1/audits/{audit_id}/entries", json=[entry], headers=headers)
    assert logged.status_code == 201, logged.text
    closing = await http.post(f"/v1/audits/{audit_id}/close", headers=headers)
    assert closing.status_code == 202, closing.text

    async def found() -> list[dict[str, Any]] | None:
        reply = await http.get(f"/v1/audits/{audit_id}/findings", headers=headers)
        return reply.json()["findings"]["candidates"] if reply.status_code == 200 else None

    candidates = await eventually(found, what="the audit's findings", within=60)
    (admin,) = [item for item in candidates if item["category"] == "internal_admin"]
    hours: float = admin["hours_per_week"]
    return hours


async def clinic_known_to_audit(platform: Platform) -> uuid.UUID:
    """A clinic as intake announces it (registered, assessed), once audit has it."""
    clinic_id = uuid.uuid4()
    await publish(
        platform,
        ClinicRegistered(
            clinic_id=clinic_id,
            officer_id=OFFICER,
            name="Lakeside Pediatrics",
            specialty="pediatrics",
            locations=1,
            systems={"emr": "athenahealth"},
            staff=[StaffRole(role="front desk", headcount=1, hourly_cost=24.0)],
        ),
        clinic_id,
    )
    await publish_assessment(platform, clinic_id)

    async def known() -> AuditClinic | None:
        async with platform["audit"].runtime.sessions() as session:
            return await session.get(AuditClinic, clinic_id)

    await eventually(known, what="audit to learn the clinic", within=60)
    return clinic_id


async def test_a_reaudit_gives_the_admin_plan_a_week_of_hours_on_its_problem(platform: Platform) -> None:
    clinic_id = await clinic_known_to_audit(platform)
    first = await audited_hours(platform, clinic_id, admin_entry(minutes=30, occurrences=6))
    http, headers = platform["roadmap"].http, auth(platform)

    async def admin_initiative() -> dict[str, Any] | None:
        reply = await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
        found = [item for item in reply.json().get("initiatives", []) if item["kpi"] == "task_hours_per_week"]
        return found[0] if reply.status_code == 200 and found else None

    initiative = await eventually(admin_initiative, what="roadmap to propose the admin initiative", within=60)
    approved = await http.post(
        f"/v1/initiatives/{initiative['id']}/approve",
        json={
            "owner": "fd-lead-1",
            "target_change_pct": -30,
            "baseline": {"source": "audit", "value": first},
        },
        headers=headers,
    )
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]

    # The re-audit, logged with a third less admin time than the first.
    again = await audited_hours(platform, clinic_id, admin_entry(minutes=20, occurrences=6))
    assert again == pytest.approx(first * 2 / 3)

    async def measured() -> dict[str, Any] | None:
        reply = await http.get(f"/v1/plans/{plan_id}", headers=headers)
        live = reply.json().get("live") or {}
        return live if live.get("latest_kpi_week") else None

    live = await eventually(measured, what="the re-audit to reach the plan", within=90)
    week = iso_week(datetime.now(UTC).date())
    assert (live["latest_kpi_week"], live["latest_kpi_value"]) == (week, pytest.approx(again))
    (reading,) = live["weeks"]
    assert reading["week"] == week and reading["value"] == pytest.approx(again)
    assert reading["sample_size"] == 1  # one member of staff logged
    assert live["baseline_value"] == pytest.approx(first) and live["baseline_source"] == "audit"
