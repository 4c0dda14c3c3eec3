"""Roadmap's part of the practice report: the plan's dates, the first problem, its KPI, evidence and money."""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.models import ApprovalIn, ToolCostIn
from services.roadmap.initiatives.service import list_initiatives
from services.roadmap.models import RoadmapPlanTransition
from services.roadmap.plans.contracts import PlanInput
from services.roadmap.plans.models import BaselineIn
from services.roadmap.practice_report import plan_schedule
from tests.unit.roadmap_support import roadmap_app

OFFICER = "officer-report-a"
HOURS = {"documentation": (20.0, 1_500.0), "appointment_scheduling": (10.0, 300.0)}
DIMENSIONS = {"workflows": 60.0, "compliance": 80.0, "data": 70.0}


def test_a_schedule_runs_the_phases_in_order_from_their_lengths() -> None:
    start = date(2026, 12, 1)
    rows = plan_schedule(start=start, phase_days={}, transitions=[], today=start)
    assert [row.phase for row in rows] == [
        "baseline",
        "preparation",
        "pilot",
        "evaluation",
        "rollout",
        "sustain",
    ]
    assert rows[0].start == start and rows[0].end == date(2026, 12, 15)
    assert rows[2].start == date(2026, 12, 29) and rows[2].end == date(2027, 2, 9)  # 42-day pilot
    assert rows[3].start == rows[3].end  # the gate takes no planned time
    assert rows[-1].end == start + timedelta(days=14 + 14 + 42 + 56 + 84)
    assert {row.status for row in rows} == {"planned"}


def test_recorded_phases_keep_their_real_dates() -> None:
    start = date(2026, 10, 1)
    transitions = [("baseline", start), ("preparation", date(2026, 10, 20))]  # baseline ran 19 days
    rows = plan_schedule(
        start=start, phase_days={"preparation": 10}, transitions=transitions, today=date(2026, 11, 5)
    )
    baseline, preparation, pilot = rows[:3]
    assert (baseline.status, baseline.end) == ("done", date(2026, 10, 20))
    # preparation should have ended Oct 30; today is later, so it is still running until today
    assert (preparation.status, preparation.start, preparation.end) == (
        "current",
        date(2026, 10, 20),
        date(2026, 11, 5),
    )
    assert (pilot.status, pilot.start) == ("planned", date(2026, 11, 5))


async def noop_start(plan: PlanInput) -> None:
    return None


async def test_the_report_names_the_first_problem_with_its_evidence_dates_and_money(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER, hours=HOURS, dimensions=DIMENSIONS)
        headers = roadmap.auth(OFFICER)
        before = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/practice-report", headers=headers)).json()
        first = before["first"]
        assert first["problem"] == "documentation" and first["status"] == "proposed"
        assert first["target_change_pct"] == -10 and first["target_is_suggested"]
        designs = [item["design"] for item in first["evidence"] if item["role"] == "effect"]
        assert designs[:3] == ["P-RCT", "P-RCT", "P-RCT"]  # strongest design first
        providence = next(item for item in first["evidence"] if "Providence" in item["study"])
        assert (providence["design"], providence["population_basis"]) == ("pre-post", "active users")
        assert first["target_flag"] is None  # -10 % is within the controlled evidence
        # Priced at the suggested target: the audit's documentation hours x 10 % at their loaded cost.
        hours, cost = first["hours_per_week"], first["cost_per_week"]
        assert first["money"]["at_target"]["capacity_value_per_week"] == pytest.approx(0.10 * cost, abs=0.01)
        assert first["money"]["at_target"]["hours_freed_per_week"] == pytest.approx(0.10 * hours, abs=0.01)
        assert first["money"]["at_target"]["cash_per_week"] == 0  # capacity is not cash
        assert before["schedule_note"].startswith("if approved today")
        assert before["schedule"][0]["start"] == datetime.now(UTC).date().isoformat()
        assert len(before["strategy"]["areas"]) == 9

        async with roadmap.sessions() as session:
            listing = await list_initiatives(session=session, clinic_id=clinic_id, officer_id=OFFICER)
            approval = ApprovalIn(
                owner="pm-1",
                target_change_pct=-12,
                baseline=BaselineIn(source="emr_report", value=16.0, weekly_volume=300),
                tool_cost=ToolCostIn(per_user_monthly=119, users=3, setup=500),
            )
            approved = await approve_initiative(
                session=session,
                initiative_id=listing.initiatives[0].id,
                officer_id=OFFICER,
                approval=approval,
                pseudonym_secret="test-pseudonyms",
                start_plan=noop_start,
            )
            session.add(
                RoadmapPlanTransition(
                    clinic_id=clinic_id,
                    plan_id=str(approved.plan_id),
                    seq=1,
                    phase="baseline",
                    changed_at=datetime.now(UTC),
                )
            )
            await session.commit()

        after = (await roadmap.http.get(f"/v1/clinics/{clinic_id}/practice-report", headers=headers)).json()
        first = after["first"]
        assert first["status"] == "approved" and first["owner"] == "pm-1"
        assert first["target_change_pct"] == -12 and not first["target_is_suggested"]
        assert first["baseline"]["value"] == 16.0 and first["baseline"]["source"] == "emr_report"
        assert first["target_in_values"] == "16 → 14.1 minutes per note"  # 16 x (1 - 12 %) = 14.08
        assert first["money"]["tool_cost_per_week"] > 0
        assert first["money"]["at_target"]["roi_12_months_pct"] is not None
        assert "pre-post study" in first["target_flag"]  # -12 %: only an uncontrolled study reached it
        assert after["plan_id"] == approved.plan_id
        assert after["schedule"][0]["status"] == "current"
        assert after["schedule_note"].startswith("plan started")
        assert [item["problem"] for item in after["next_initiatives"]] == ["appointment_scheduling"]

        other = roadmap.auth("officer-report-b")
        assert (
            await roadmap.http.get(f"/v1/clinics/{clinic_id}/practice-report", headers=other)
        ).status_code == 404
        missing = await roadmap.http.get(f"/v1/clinics/{uuid.uuid4()}/practice-report", headers=headers)
        assert missing.status_code == 404
