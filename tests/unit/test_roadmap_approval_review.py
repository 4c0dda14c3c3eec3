"""What approval checks: targets vs published effects, pilot length, compliance, coverage, money, baseline."""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.scoring import load_questionnaire, score_assessment
from services.roadmap.initiatives import approval_review, proposals
from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.approval_review import (
    ApprovalChoices,
    ApprovalFacts,
    Baseline,
    pilot_length,
    review_approval,
    touches_phi,
)
from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.initiatives.pricing import CashInputs, expected_money, phasing_for
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


def test_missed_calls_carry_revenue_when_the_clinic_settings_are_known() -> None:
    # 150 calls x 29 % missed x 50 % fewer = 21.75 calls answered; x 50 % booking x 120 a visit = 1,305.
    cash = CashInputs(weekly_volume=150, baseline_rate=0.29, booking_share=0.5, average_visit_value=120)
    money = expected_money(
        kpi="missed_call_rate",
        target_change_pct=-50,
        hours_per_week=12,
        cost_per_week=300,
        audit_prior_per_week=90,
        tool_cost=None,
        phasing=phasing_for(phase_days=None, pilot_group_size=0, rollout_users=0),
        cash=cash,
    )
    assert money.at_target["cash_per_week"] == 1305.0
    assert money.at_target["hours_freed_per_week"] == 0  # answering calls is not a staff-time KPI
    assert "150 calls a week x 29% missed" in money.pricing["cash_note"]
    unknown = expected_money(
        kpi="missed_call_rate",
        target_change_pct=-50,
        hours_per_week=12,
        cost_per_week=300,
        audit_prior_per_week=90,
        tool_cost=None,
        phasing=phasing_for(phase_days=None, pilot_group_size=0, rollout_users=0),
        cash=CashInputs(weekly_volume=150, baseline_rate=0.29),
    )
    assert unknown.at_target["cash_per_week"] == 0
    assert "average visit value" in unknown.pricing["cash_note"] and "book" in unknown.pricing["cash_note"]


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
    *,
    problem: str = "documentation",
    compliance: float | None = 80,
    low_confidence: bool = False,
    receives_patient_identifiers: bool | None = None,
    integrates: bool | None = True,
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
        receives_patient_identifiers=receives_patient_identifiers,
        integrates=integrates,
        integration_note="the clinic's emr is ModMed; Nabla supports Epic" if integrates is False else "",
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
    # Priced at the -30 % target: 20 h x 30 % = 6 h a week at 50 an hour = 300 (not the audit's 400).
    assert review.money is not None and review.money["at_target"]["capacity_value_per_week"] == 300
    assert review.money["audit_prior_per_week"] == 400
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
                pseudonym_secret="test-pseudonyms",
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
            pseudonym_secret="test-pseudonyms",
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
    assert review["target_flag"].startswith("-30 % documentation minutes per note: difference-in-differences")
    assert review["compliance_exception"] == "BAAs signed with the scribe vendor on 2026-11-20"
    assert review["baseline"]["source"] == "emr_report" and review["baseline"]["entered_by_hand"] is True
    # The money is priced from the target on the audit's hours, the audit prior kept only for reference.
    hourly = documentation.cost_per_week / documentation.hours_per_week
    assert review["money"]["at_target"]["capacity_value_per_week"] == pytest.approx(
        documentation.hours_per_week * 0.30 * hourly, abs=0.01
    )
    assert review["money"]["audit_prior_per_week"] == documentation.dollars_saved_per_week
    assert review["money"]["status"] == "projected"


def test_the_baa_question_is_asked_of_the_solution() -> None:
    assert touches_phi("marketing")[0] is False  # no vendor chosen: the category's default
    assert touches_phi("documentation")[0] is True
    texts_patients, said = touches_phi("marketing", True)  # a marketing vendor that texts patients
    assert texts_patients and "catalog entry" in said
    assert touches_phi("documentation", False)[0] is False  # e.g. a scribe on de-identified audio
    _, refusals = review_approval(
        facts(problem="marketing", compliance=33.3, receives_patient_identifiers=True), choices()
    )
    assert len(refusals) == 1 and "receives patient identifiers" in refusals[0]
    review, refusals = review_approval(facts(compliance=33.3, receives_patient_identifiers=False), choices())
    assert refusals == [] and "receives no patient identifiers" in review.baa_check


def test_an_integration_exception_is_recorded_in_the_review() -> None:
    review, refusals = review_approval(
        facts(integrates=False), choices(integration_exception="EMR export by hand for the pilot only")
    )
    assert refusals == [] and review.integration_exception == "EMR export by hand for the pilot only"
    assert any("does not integrate" in warning and "ModMed" in warning for warning in review.warnings)


async def test_does_it_integrate_no_is_refused_unless_the_officer_records_an_exception(
    sessions: db.SessionFactory,
) -> None:
    clinic_id = await clinic(sessions, systems={"phone": "RingCentral"})  # no EMR: a scribe cannot integrate
    async with sessions() as session:
        await proposals.record_audit(
            session=session, event=audit(clinic_id, at=datetime.now(UTC), categories={"documentation": 900})
        )
        await session.commit()
    [documentation] = await proposed(sessions, clinic_id)
    assert documentation.integrates is False
    async with sessions() as session:
        with pytest.raises(Refused, match="integration_exception: the solution does not integrate"):
            await approve_initiative(
                session=session,
                pseudonym_secret="test-pseudonyms",
                start_plan=FakeStarter(),
                initiative_id=documentation.id,
                officer_id=OFFICER,
                approval=ApprovalIn(owner="pm-1", target_change_pct=-10),
            )
    async with sessions() as session:
        approved = await approve_initiative(
            session=session,
            pseudonym_secret="test-pseudonyms",
            start_plan=FakeStarter(),
            initiative_id=documentation.id,
            officer_id=OFFICER,
            approval=ApprovalIn(
                owner="pm-1", target_change_pct=-10, integration_exception="notes pasted by hand in the pilot"
            ),
        )
    assert approved.review["integration_exception"] == "notes pasted by hand in the pilot"


def test_a_price_needs_its_quantity() -> None:
    with pytest.raises(ValidationError, match=r"tool_cost\.users"):
        ApprovalIn(owner="pm-1", target_change_pct=-10, tool_cost={"per_user_monthly": 119})
    with pytest.raises(ValidationError, match=r"tool_cost\.units_per_month"):
        ApprovalIn(owner="pm-1", target_change_pct=-10, tool_cost={"per_unit": 0.5})
    with pytest.raises(ValidationError, match="capacity_to_cash_note"):
        ApprovalIn(owner="pm-1", target_change_pct=-10, capacity_to_cash_share=0.5)
    priced = ApprovalIn(
        owner="pm-1",
        target_change_pct=-10,
        tool_cost={"per_unit": 0.5, "units_per_month": 2000, "monthly": 100},
    )
    assert priced.tool_cost is not None
    assert approval_review.ToolCost(**priced.tool_cost.model_dump()).per_month() == 1100  # 100 + 0.5 x 2,000
