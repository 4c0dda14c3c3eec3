"""A gate decision taken in the browser, from Today, moves the real plan workflow.

Roadmap and its worker run on the real Temporal server with phases of a few seconds; the
portal learns the plan's phases from roadmap's events on the real broker, and sends the
officer's decision to roadmap's API.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Browser, expect
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from services.portal.read_model.models import PortalPlan
from services.roadmap.plans.worker import create_worker
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted
from shared.events.intake import AssessmentCompleted
from tests.browser import story
from tests.browser.stack import screenshot, served, sign_in
from tests.browser.story import candidate
from tests.polling import eventually
from tests.services import Platform, officer_token, running

pytestmark = pytest.mark.integration
# Seconds, in days: baseline, preparation and pilot pass in about four seconds each.
SHORT_PHASE = 0.00005


@dataclass
class GateStack:
    platform: Platform
    portal_url: str
    kafka: str


@pytest.fixture(scope="module")
async def gate_stack(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GateStack]:
    data_dir = tmp_path_factory.mktemp("gate-stack")
    task_queue = f"portal-gate-{uuid.uuid4()}"
    target = temporal.client.service_client.config.target_host
    async with running(
        "roadmap", "portal", kafka=kafka, data_dir=data_dir, temporal_address=target, task_queue=task_queue
    ) as platform:
        await asyncio.wait_for(platform["roadmap"].app.state.broker_connected.wait(), timeout=60)
        worker_client = await Client.connect(target)
        async with (
            create_worker(worker_client, task_queue, platform["roadmap"].runtime.sessions),
            served(platform["portal"].app) as url,
        ):
            yield GateStack(platform, url, kafka)


async def test_a_gate_decision_from_today_moves_the_plan(gate_stack: GateStack, browser: Browser) -> None:
    officer, clinic_id, now = f"officer-{uuid.uuid4()}", uuid.uuid4(), datetime.now(UTC)
    name = f"Gatehouse Pediatrics {clinic_id.hex[:4]}"
    await story.tell(
        gate_stack.kafka,
        [
            (
                ClinicRegistered(
                    clinic_id=clinic_id,
                    officer_id=officer,
                    name=name,
                    specialty="pediatrics",
                    locations=1,
                    systems={"emr": "athenahealth"},
                ),
                "intake",
            ),
            (
                AssessmentCompleted(
                    clinic_id=clinic_id,
                    assessment_id=uuid.uuid4(),
                    questionnaire_version="1",
                    overall_score=70,
                    level="ready",
                    dimension_scores={"data_integration": 80, "staff_buy_in": 60},
                    completed_at=now,
                ),
                "intake",
            ),
            (
                AuditCompleted(
                    clinic_id=clinic_id,
                    audit_id=uuid.uuid4(),
                    window_start=now.date(),
                    window_end=now.date(),
                    total_hours_per_week=60,
                    total_cost_per_week=3_000,
                    low_confidence=False,
                    completed_at=now,
                    candidates=[
                        candidate(1, "documentation", 20, 1_500),
                        candidate(2, "patient communication", 15, 600),
                    ],
                ),
                "audit",
            ),
        ],
        clinic_id,
    )
    roadmap = gate_stack.platform["roadmap"].http
    headers = {"Authorization": f"Bearer {officer_token(officer)}"}

    async def proposed() -> Any:
        answer = await roadmap.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
        body = answer.json() if answer.status_code == 200 else None
        return body["initiatives"] if body and body["initiatives"] and not body["waiting_for"] else None

    first = (await eventually(proposed, within=60, what="roadmap's proposals"))[0]
    days = {"baseline": SHORT_PHASE, "preparation": SHORT_PHASE, "pilot": SHORT_PHASE}
    approved = await roadmap.post(
        f"/v1/initiatives/{first['id']}/approve",
        json={
            "owner": "pm-1",
            "target_change_pct": -30,
            "phase_days": days,
            "checkin_days": 1,
            "no_baseline_reason": "a rehearsal clinic: no partner feed measures a baseline",
        },
        headers=headers,
    )
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]
    for path, body in (  # preparation's buy-in: staff told and trained, so the plan goes on to its pilot
        ("communications", {"kind": "why_we_change", "audiences": ["all_staff"]}),
        ("trainings", {"status": "held", "attendees": ["ma-1", "ma-2"]}),
    ):
        recorded = await roadmap.post(f"/v1/plans/{plan_id}/buy-in/{path}", json=body, headers=headers)
        assert recorded.status_code == 201, recorded.text

    async def portal_phase(wanted: str) -> bool:
        async with gate_stack.platform["portal"].runtime.sessions() as session:
            plan = await session.get(PortalPlan, (clinic_id, plan_id))
            return plan is not None and plan.phase == wanted

    await eventually(lambda: portal_phase("evaluation"), within=90, what="the plan at its gate in the portal")

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, gate_stack.portal_url, officer)
    await page.goto(f"{gate_stack.portal_url}/today")
    gate = page.locator(f"[id='gate-{plan_id}']")
    await expect(gate).to_contain_text(name)
    await screenshot(page, "today-gate-due")
    await gate.get_by_label("Note").fill("pilot looked good on the floor")
    await gate.get_by_role("button", name="Continue to rollout").click()
    await expect(page.get_by_role("status")).to_contain_text("Decision sent: continue to rollout")

    async def rolled_out() -> Any:
        plan = (await roadmap.get(f"/v1/plans/{plan_id}", headers=headers)).json()
        return plan if plan["phase"] in ("rollout", "sustain") else None

    plan = await eventually(rolled_out, within=60, what="the workflow to leave the gate")
    assert any("pilot looked good" in t["reason"] for t in plan["transitions"])
    await eventually(lambda: portal_phase("rollout"), within=60, what="the portal to show the rollout")
    await page.goto(f"{gate_stack.portal_url}/clinics/{clinic_id}")
    await expect(page.locator("ol.timeline")).to_contain_text("officer decided to continue")
    await screenshot(page, "clinic-after-gate-decision")
    await context.close()
