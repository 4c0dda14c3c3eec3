"""Patient-data canaries (a name with a date of birth, an MRN, a phone number) sent through the free-text
fields of intake, audit and roadmap over HTTP: each answers 422 naming the field and what to remove,
and never echoes the canary back."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.audit.models import AuditClinic
from tests.integration.test_roadmap_api import auth, clinic_with_findings, initiatives_of
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

NAME_AND_DOB = "Jane Doe DOB 04/12/1961 asked about the scribe"
MRN = "MRN 4839201 waited forty minutes"
PHONE = "call back on 415-555-0132 about the pilot"
CANARIES = (NAME_AND_DOB, MRN, PHONE)
CANARY_BITS = ("Jane", "1961", "4839201", "555-0132")
WHAT_TO_DO = "remove patient details; write about the work, not the patient"


@pytest.fixture(scope="module")
async def platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    target = temporal.client.service_client.config.target_host
    async with running(
        "intake",
        "audit",
        "roadmap",
        kafka=kafka,
        data_dir=tmp_path_factory.mktemp("no-patient-data"),
        temporal_address=target,
        task_queue=f"roadmap-phi-{uuid.uuid4()}",  # no worker: approved plans only need to exist
        audit_task_queue=f"audit-phi-{uuid.uuid4()}",
    ) as started:
        await asyncio.wait_for(started["roadmap"].app.state.broker_connected.wait(), timeout=60)
        yield started


def assert_refused(response: httpx.Response, field: str) -> None:
    """A 422 naming `field`, saying what to remove, with no part of the canary in the answer."""
    assert response.status_code == 422, response.text
    problems = [p for p in response.json()["detail"] if p["loc"][-1] == field]
    assert problems, response.text
    assert problems[0]["msg"].startswith("Value error, looks like patient data (")
    assert WHAT_TO_DO in problems[0]["msg"]
    assert not any(bit in response.text for bit in CANARY_BITS), response.text


async def test_intake_and_audit_refuse_patient_data_in_free_text(platform: Platform) -> None:
    intake, audit = platform["intake"].http, platform["audit"].http
    _, token = await registered_officer(intake)
    headers = {"Authorization": f"Bearer {token}"}
    clinic = {
        "name": "Birch Street Family Practice",
        "specialty": "family medicine",
        "staff": [{"role": "front desk", "headcount": 2, "hourly_cost": 24.0}],
    }
    for canary in CANARIES:
        assert_refused(
            await intake.post("/v1/clinics", json={**clinic, "notes": canary}, headers=headers), "notes"
        )
    created = await intake.post(
        "/v1/clinics", json={**clinic, "notes": "two sites, one EMR"}, headers=headers
    )
    assert created.status_code == 201, created.text
    clinic_id = created.json()["id"]
    assert_refused(
        await intake.patch(f"/v1/clinics/{clinic_id}", json={"notes": NAME_AND_DOB}, headers=headers), "notes"
    )
    review = {"tool": "Acme Scribe", "problem": MRN}
    assert_refused(
        await intake.post(f"/v1/clinics/{clinic_id}/purchase-reviews", json=review, headers=headers),
        "problem",
    )

    async def known() -> AuditClinic | None:
        async with platform["audit"].runtime.sessions() as session:
            return await session.get(AuditClinic, uuid.UUID(clinic_id))

    await eventually(known, what="audit to learn the clinic from intake's event")
    opened = await audit.post(f"/v1/clinics/{clinic_id}/audits", headers=headers)
    assert opened.status_code == 201, opened.text
    audit_id, day = opened.json()["id"], opened.json()["starts_on"]
    entry = {
        "staff_id": "fd-1",
        "role": "front desk",
        "day": day,
        "category": "appointment_scheduling",
        "minutes": 3,
        "predictability": "always_same",
    }
    for canary in CANARIES:
        refused = await audit.post(
            f"/v1/audits/{audit_id}/entries", json=[{**entry, "description": canary}], headers=headers
        )
        assert_refused(refused, "description")

    rows = "\n".join(
        f"fd-1,front desk,{day},appointment_scheduling,{canary},3,1,always_same," for canary in CANARIES
    )
    csv_text = f"staff_id,role,day,category,description,minutes,occurrences,predictability,tools\n{rows}\n"
    imported = await audit.post(
        f"/v1/audits/{audit_id}/entries:import",
        content=csv_text.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 422, imported.text
    errors = imported.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [
        (2, "description"),
        (3, "description"),
        (4, "description"),
    ]
    assert all(e["reason"].startswith("Value error, looks like patient data (") for e in errors)
    assert not any(bit in imported.text for bit in CANARY_BITS)
    assert imported.json()["imported"] == 0


async def test_roadmap_refuses_patient_data_in_notes_reasons_and_exceptions(platform: Platform) -> None:
    http = platform["roadmap"].http
    headers = auth(platform)
    clinic_id = await clinic_with_findings(platform, systems={"emr": "athenahealth", "phone": "RingCentral"})
    body = await initiatives_of(http, clinic_id, headers)
    # A KPI that is better higher, so a target of +25 % is a gain.
    initiative_id = next(
        item["id"] for item in body["initiatives"] if item["kpi"] == "messages_answered_within_business_day"
    )
    approval: dict[str, Any] = {"owner": "fd-lead-1", "target_change_pct": 25}
    for field, canary in (
        ("no_baseline_reason", NAME_AND_DOB),
        ("compliance_exception", MRN),
        ("integration_exception", PHONE),
        ("capacity_to_cash_note", NAME_AND_DOB),
    ):
        refused = await http.post(
            f"/v1/initiatives/{initiative_id}/approve", json={**approval, field: canary}, headers=headers
        )
        assert_refused(refused, field)

    strategy = {"answers": [{"area": "scheduling", "question": "staff_time", "rating": 2, "note": PHONE}]}
    assert_refused(
        await http.put(f"/v1/clinics/{clinic_id}/strategy-interview", json=strategy, headers=headers), "note"
    )

    long_phases = {
        "phase_days": {"baseline": 30, "preparation": 30, "pilot": 30, "rollout": 30, "sustain": 30}
    }
    approved = await http.post(
        f"/v1/initiatives/{initiative_id}/approve",
        json={**approval, **long_phases, "no_baseline_reason": "the feed starts next month"},
        headers=headers,
    )
    assert approved.status_code == 201, approved.text
    plan = f"/v1/plans/{approved.json()['plan_id']}"
    assert_refused(
        await http.post(f"{plan}/decisions", json={"action": "stop", "note": MRN}, headers=headers), "note"
    )
    assert_refused(
        await http.post(f"{plan}/baseline", json={"no_baseline_reason": NAME_AND_DOB}, headers=headers),
        "no_baseline_reason",
    )
    baseline = {"baseline": {"source": "manual_count", "value": 0.3, "note": PHONE}}
    assert_refused(await http.post(f"{plan}/baseline", json=baseline, headers=headers), "note")
    assert_refused(
        await http.put(f"{plan}/buy-in/preparation-waiver", json={"reason": NAME_AND_DOB}, headers=headers),
        "reason",
    )
    fine = await http.put(
        f"{plan}/buy-in/preparation-waiver",
        json={"reason": "pilot staff asked to keep it; trained last week"},
        headers=headers,
    )
    assert fine.status_code == 200, fine.text
