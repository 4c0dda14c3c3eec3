"""The admin problem's KPI (hours a week on the task) is re-measured by short audits during the pilot:
each completed re-audit is one week of the plan's KPI, and the gate judges those weeks against the
first audit's hours entered as the baseline (before/after only)."""

import uuid
from datetime import UTC, date, datetime, timedelta

from services.roadmap.plans.contracts import KpiReading, PlanState, WeekReading
from services.roadmap.plans.gate import GateQuestion, gate_evidence, remember_reading
from services.roadmap.plans.service import reaudit_reading
from shared.calendar import iso_week
from shared.events.audit import AuditCompleted, AutomationCandidate

PILOT_START = date(2026, 9, 7)  # a Monday


def candidate(category: str, hours: float) -> AutomationCandidate:
    return AutomationCandidate(
        rank=1,
        category=category,
        solution="AI assistant for admin work",
        hours_per_week=hours,
        cost_per_week=hours * 30,
        predictability=0.8,
        score=hours * 30,
        hours_saved_low=1,
        hours_saved_high=2,
    )


def reaudit(first_day: date, hours: float) -> AuditCompleted:
    return AuditCompleted(
        clinic_id=uuid.uuid4(),
        audit_id=uuid.uuid4(),
        window_start=first_day,
        window_end=first_day + timedelta(days=6),
        total_hours_per_week=hours + 30,
        total_cost_per_week=2_000,
        low_confidence=False,
        candidates=[candidate("Internal admin", hours), candidate("phone calls", 30)],
        completed_at=datetime.combine(first_day + timedelta(days=7), datetime.min.time(), tzinfo=UTC),
        staff_logged=6,
    )


def test_a_reaudit_is_one_week_of_the_plans_hours_on_its_problem() -> None:
    reading = reaudit_reading(reaudit(PILOT_START, 14.5), problem="internal_admin")
    assert reading == KpiReading(
        kpi="task_hours_per_week",
        week=iso_week(PILOT_START),
        value=14.5,
        sample_size=6,
        events=14.5,
        total=1.0,
    )
    assert reaudit_reading(reaudit(PILOT_START, 14.5), problem="scheduling") is None  # not re-measured


def question(weeks: list[WeekReading], target: float = -30.0) -> GateQuestion:
    return GateQuestion(
        kpi="task_hours_per_week",
        target_change_pct=target,
        minimum_worthwhile_pct=None,
        time_zone="UTC",
        baseline_start="",
        baseline_end="",
        pilot_started_at=datetime.combine(PILOT_START, datetime.min.time(), tzinfo=UTC).isoformat(),
        gate_at=datetime.combine(
            PILOT_START + timedelta(weeks=10), datetime.min.time(), tzinfo=UTC
        ).isoformat(),
        weeks=weeks,
        hand_baseline_value=20.0,  # the first audit: 20 hours a week on internal admin
        hand_baseline_weekly_volume=None,
        hand_baseline_weeks=1.0,
        hand_baseline_source="audit",
    )


def reaudited(hours: list[tuple[int, float]]) -> list[WeekReading]:
    state = PlanState(phase="pilot")
    for week, value in hours:
        reading = reaudit_reading(
            reaudit(PILOT_START + timedelta(weeks=week), value), problem="internal admin"
        )
        assert reading is not None
        remember_reading(state, reading)
    return state.weeks


def test_the_gate_judges_the_reaudits_against_the_first_audit_before_after_only() -> None:
    # Re-audits in pilot weeks 5, 7 and 9 (after the ramp-up): 20 hours became about 11.
    evidence = gate_evidence(question(reaudited([(4, 11.0), (6, 12.0), (8, 10.5)])))
    assert evidence["outcome"] == "pass", evidence["summary"]
    assert evidence["design"].startswith("before/after only")
    assert evidence["ci_low_pct"] < evidence["estimate_pct"] < evidence["ci_high_pct"] < 0
    assert len(evidence["pilot_weeks_used"]) == 3


def test_hours_that_did_not_move_fail_or_stay_inconclusive_never_pass() -> None:
    evidence = gate_evidence(question(reaudited([(4, 19.0), (6, 21.0), (8, 20.5)])))
    assert evidence["outcome"] in ("fail", "inconclusive"), evidence["summary"]
    one = gate_evidence(question(reaudited([(5, 10.0)])))  # one re-audit: no spread, no interval
    assert one["outcome"] == "inconclusive"
