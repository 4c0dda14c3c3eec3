"""What approval checks: targets vs published effects, pilot length, compliance, coverage, money, baseline."""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.scoring import load_questionnaire, score_assessment
from services.roadmap.initiatives import approval_review, proposals
from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.approval_review import (
    ApprovalChoices,
    ApprovalFacts,
    Baseline,
    ToolCost,
    expected_money,
    missed_call_revenue,
    pilot_length,
    review_approval,
    target_flag,
)
from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.plans.models import BaselineIn
from services.roadmap.plans.service import describe_plan, get_plan
from shared import db
from shared.errors import Refused
from shared.events.intake import AssessmentCompleted
from shared.events.roadmap import InitiativeApproved
from tests.unit.test_intake_scoring import WEAK
from tests.unit.test_roadmap_service import (
    APPROVALS_STAGED,
    OFFICER,
    FakeStarter,
    audit,
    clinic,
    proposed,
    sessions,
)

__all__ = ["sessions"]  # the fixture, shared with the service tests

NO_BASELINE = Baseline(source=None, value=None, weekly_volume=None, entered_by_hand=False, note="")


def test_every_published_effect_cites_its_source() -> None:
    effects = approval_review.published_effects()
    assert len(effects) >= 3
    for effect in effects:
        assert effect.study and effect.journal and effect.year >= 2024 and effect.population


def test_a_target_beyond_the_published_trials_is_flagged_with_them() -> None:
    flag = target_flag(
        kpi="documentation_minutes_per_note",
        solution="AI scribe (ambient clinical documentation)",
        target_change_pct=-30,
    )
    assert flag is not None
    assert flag.startswith("-30 % documentation minutes per note: published trials found -2 % to -14 %")
    assert "NEJM AI 2025, 238 physicians" in flag and "JAMA Network Open 2026, 1,547 clinicians" in flag
    assert (
        target_flag(kpi="documentation_minutes_per_note", solution="AI scribe", target_change_pct=-10) is None
    )
    assert (
        target_flag(kpi="no_show_rate", solution="reminders", target_change_pct=-90) is None
    )  # nothing on file


def test_money_hours_saved_payback_and_roi() -> None:
    # 10 h/week costing 500: 50 an hour; 200 a week saved = 4 h. Tool: 300 a month + 1,000 set-up.
    # Weekly cost 300 / (52/12) = 69.23; net 130.77 a week; payback 1,000 / 130.77 = 7.6 weeks;
    # first year: cost 1,000 + 12 x 300 = 4,600 against 52 x 200 = 10,400 -> ROI +126.1 %.
    money = expected_money(
        hours_per_week=10,
        cost_per_week=500,
        dollars_saved_per_week=200,
        tool_cost=ToolCost(monthly=300, setup=1000),
    )
    assert (money.hours_saved_per_week, money.loaded_hourly_cost) == (4.0, 50.0)
    assert money.tool_cost_per_week == pytest.approx(69.23)
    assert money.payback_weeks == 7.6
    assert money.roi_12_months_pct == 126.1
    per_user = ToolCost(per_user_monthly=150, users=4, setup=0)
    assert per_user.per_month() == 600
    losing = expected_money(
        hours_per_week=10, cost_per_week=500, dollars_saved_per_week=100, tool_cost=per_user
    )
    assert losing.payback_weeks is None and "never pays back" in losing.note
    unpriced = expected_money(
        hours_per_week=10, cost_per_week=500, dollars_saved_per_week=100, tool_cost=None
    )
    assert unpriced.roi_12_months_pct is None and "no tool cost" in unpriced.note


def test_missed_calls_carry_revenue_when_the_clinic_settings_are_known() -> None:
    # 150 calls x 29 % missed x 50 % fewer = 21.75 calls answered; x 50 % booking x 120 a visit = 1,305.
    revenue, note = missed_call_revenue(
        weekly_calls=150,
        baseline_rate=0.29,
        target_change_pct=-50,
        booking_share=0.5,
        average_visit_value=120,
    )
    assert revenue == 1305.0 and "22 calls a week" in note
    revenue, note = missed_call_revenue(
        weekly_calls=150,
        baseline_rate=0.29,
        target_change_pct=-50,
        booking_share=None,
        average_visit_value=None,
    )
    assert revenue is None and "average visit value" in note


def test_pilot_length_from_the_baseline_volume_and_target() -> None:
    # The gate's own sizing (sizing.recommended_pilot, checked by simulation): ramp-up plus judged weeks.
    calls = Baseline(source="manual_count", value=0.29, weekly_volume=150, entered_by_hand=True, note="")
    weeks, note = pilot_length(
        kpi="missed_call_rate", target_change_pct=-50, baseline=calls, baseline_days=28, pilot_days=28
    )
    assert weeks == 9
    assert note.startswith("warning: the pilot is planned for 4 weeks but needs 9 weeks")
    assert "3 of ramp-up, then 6 judged" in note
    weeks, note = pilot_length(
        kpi="missed_call_rate", target_change_pct=-50, baseline=calls, baseline_days=28, pilot_days=70
    )
    assert weeks == 9 and not note.startswith("warning")
    weeks, note = pilot_length(
        kpi="missed_call_rate", target_change_pct=-20, baseline=calls, baseline_days=14, pilot_days=42
    )
    assert weeks is None and "weeks of baseline history" in note
    weeks, note = pilot_length(
        kpi="missed_call_rate", target_change_pct=-50, baseline=NO_BASELINE, baseline_days=14, pilot_days=42
    )
    assert weeks is None and "baseline volume is not known yet" in note
    weeks, note = pilot_length(
        kpi="missed_call_rate", target_change_pct=30, baseline=calls, baseline_days=28, pilot_days=42
    )
    assert weeks is None and "no pilot length can be computed" in note


def facts(
    *, problem: str = "documentation", compliance: float | None = 80, low_confidence: bool = False
) -> ApprovalFacts:
    return ApprovalFacts(
        kpi="documentation_minutes_per_note",
        problem=problem,
        solution="AI scribe (ambient clinical documentation)",
        hours_per_week=20,
        cost_per_week=1000,
        dollars_saved_per_week=400,
        dimension_scores=None if compliance is None else {"compliance": compliance, "data": 60},
        audit_low_confidence=low_confidence,
        audit_hours_per_week=20,
    )


def choices(**changes: Any) -> ApprovalChoices:
    base = ApprovalChoices(target_change_pct=-30, baseline_days=14, pilot_days=42, baseline=NO_BASELINE)
    return dataclasses.replace(base, **changes)


def test_the_compliance_cap_blocks_a_phi_tool_unless_the_officer_records_an_exception() -> None:
    _, refusals = review_approval(facts(compliance=33.3), choices())
    assert len(refusals) == 1 and "compliance_exception" in refusals[0]
    review, refusals = review_approval(
        facts(compliance=33.3), choices(compliance_exception="BAA signed, filed 2026-11-20")
    )
    assert refusals == [] and review.compliance_exception == "BAA signed, filed 2026-11-20"
    assert any("compliance below 50" in warning for warning in review.warnings)
    _, refusals = review_approval(facts(problem="marketing", compliance=33.3), choices())
    assert refusals == []  # no patient data: no BAA needed
    _, refusals = review_approval(facts(compliance=None), choices())
    assert refusals == []


def test_low_audit_coverage_baseline_and_target_flag_end_up_in_the_review() -> None:
    review, _ = review_approval(facts(low_confidence=True), choices())
    assert any("coverage is low" in warning for warning in review.warnings)
    assert any("no_baseline_reason" in warning for warning in review.warnings)
    assert review.target_flag is not None and review.target_kept
    assert review.baseline is not None and review.baseline["audit_hours_per_week"] == 20
    assert review.money is not None and review.money["dollars_saved_per_week"] == 400
    review, _ = review_approval(
        facts(), choices(target_change_pct=-10, no_baseline_reason="no EMR export yet")
    )
    assert review.target_flag is None
    assert any("the officer recorded why - no EMR export yet" in warning for warning in review.warnings)


async def test_approval_with_intakes_compliance_cap_is_refused_then_kept_with_its_review(
    sessions: db.SessionFactory,
) -> None:
    clinic_id = await clinic(sessions)
    now = datetime.now(UTC)
    weak = score_assessment(load_questionnaire(), WEAK)  # compliance 8.3: intake caps the level
    async with sessions() as session:
        await proposals.record_assessment(
            session=session,
            event=AssessmentCompleted(
                clinic_id=clinic_id,
                assessment_id=uuid.uuid4(),
                questionnaire_version="v1",
                overall_score=weak.overall_score,
                level=weak.level,
                dimension_scores=weak.dimension_scores,
                completed_at=now,
            ),
        )
        await proposals.record_audit(
            session=session, event=audit(clinic_id, at=now, categories={"documentation": 900})
        )
        await session.commit()
    [documentation] = await proposed(sessions, clinic_id)
    approval = ApprovalIn(owner="pm-1", target_change_pct=-30)
    async with sessions() as session:
        with pytest.raises(Refused, match="compliance_exception"):
            await approve_initiative(
                session=session,
                start_plan=FakeStarter(),
                initiative_id=documentation.id,
                officer_id=OFFICER,
                approval=approval,
            )
    approval = ApprovalIn(
        owner="pm-1",
        target_change_pct=-30,
        compliance_exception="BAAs signed with the scribe vendor on 2026-11-20",
        baseline=BaselineIn(
            source="emr_report", value=16.0, weekly_volume=400, note="EMR time-in-notes report"
        ),
    )
    async with sessions() as session:
        approved = await approve_initiative(
            session=session,
            start_plan=FakeStarter(),
            initiative_id=documentation.id,
            officer_id=OFFICER,
            approval=approval,
        )
        assert approved.plan_id is not None
        plan = await get_plan(session=session, plan_id=approved.plan_id, officer_id=OFFICER)
        described = await describe_plan(session=session, plan=plan, live=None)
        [staged] = (await session.exec(APPROVALS_STAGED)).all()
    event = InitiativeApproved.model_validate_json(staged.payload)
    assert (event.baseline_source, event.baseline_value, event.baseline_weekly_volume) == (
        "emr_report",
        16.0,
        400,
    )
    review = described.review
    assert review["target_flag"].startswith("-30 % documentation minutes per note: published trials found")
    assert review["compliance_exception"] == "BAAs signed with the scribe vendor on 2026-11-20"
    assert review["baseline"]["source"] == "emr_report" and review["baseline"]["entered_by_hand"] is True
    assert review["money"]["dollars_saved_per_week"] == documentation.dollars_saved_per_week
