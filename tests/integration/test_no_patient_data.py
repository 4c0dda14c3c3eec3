"""Patient-data canaries (a name with a date of birth, an MRN, a phone number, an email address) sent
through every free-text field of intake, audit and roadmap over HTTP: each answers 422 naming the field
and what to remove, and never echoes the canary back. The services export their spans to files here;
at the end of the run tests/conftest.py searches those, the databases, topics and logs for the canaries."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.audit.models import AuditClinic
from tests.canaries import CANARIES, CANARY_BITS, EMAIL, MRN, NAME_AND_DOB, PHONE
from tests.integration.test_roadmap_api import auth, clinic_with_findings, initiatives_of
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

WHAT_TO_DO = "remove patient details; write about the work, not the patient"


@pytest.fixture(scope="module")
async def platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    target = temporal.client.service_client.config.target_host
    data_dir = tmp_path_factory.mktemp("no-patient-data")
    async with running(
        "intake",
        "audit",
        "roadmap",
        kafka=kafka,
        data_dir=data_dir,
        traces_dir=data_dir / "traces",  # spans exported as in production, searched at the end of the run
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
    reviews = f"/v1/clinics/{clinic_id}/purchase-reviews"
    review = {"tool": "Acme Scribe", "problem": "calls go unanswered at lunch"}
    for canary in (MRN, EMAIL):
        assert_refused(
            await intake.post(reviews, json={**review, "problem": canary}, headers=headers), "problem"
        )
    measure = {"success_measure": {"kpi": PHONE}}
    assert_refused(await intake.post(reviews, json={**review, **measure}, headers=headers), "kpi")

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
    assert [(e["line"], e["column"]) for e in errors] == [(line, "description") for line in range(2, 6)]
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
        ("capacity_to_cash_note", EMAIL),
    ):
        refused = await http.post(
            f"/v1/initiatives/{initiative_id}/approve", json={**approval, field: canary}, headers=headers
        )
        assert_refused(refused, field)

    for canary in CANARIES:
        answer = {"area": "scheduling", "question": "staff_time", "rating": 2, "note": canary}
        assert_refused(
            await http.put(
                f"/v1/clinics/{clinic_id}/strategy-interview", json={"answers": [answer]}, headers=headers
            ),
            "note",
        )
    vendor = {"category": "ai_scribe", "vendor": "Acme", "product": "Scribe"}
    for field, canary in zip(("intended_use", "claims", "evidence", "limitations"), CANARIES, strict=True):
        card = {"model_card": {field: canary}}
        assert_refused(await http.post("/v1/catalog", json={**vendor, **card}, headers=headers), field)

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
    for canary in CANARIES:
        decision = {"action": "stop", "note": canary}
        assert_refused(await http.post(f"{plan}/decisions", json=decision, headers=headers), "note")
    assert_refused(
        await http.post(f"{plan}/baseline", json={"no_baseline_reason": NAME_AND_DOB}, headers=headers),
        "no_baseline_reason",
    )
    baseline = {"baseline": {"source": "manual_count", "value": 0.3, "note": PHONE}}
    assert_refused(await http.post(f"{plan}/baseline", json=baseline, headers=headers), "note")
    for canary in (NAME_AND_DOB, EMAIL):
        waiver = {"reason": canary}
        assert_refused(
            await http.put(f"{plan}/buy-in/preparation-waiver", json=waiver, headers=headers), "reason"
        )
    fine = await http.put(
        f"{plan}/buy-in/preparation-waiver",
        json={"reason": "pilot staff asked to keep it; trained last week"},
        headers=headers,
    )
    assert fine.status_code == 200, fine.text
