"""A share's target in points or as a share of the gap, read against the feed's baseline by the plan:
made relative when the baseline arrives, locked at the pilot, recorded, and an impossible one makes
the gate inconclusive with its reason (never a failed workflow)."""

import pytest

from services.roadmap.plans import target_lock
from services.roadmap.plans.contracts import PlanInput, PlanState


def plan(**fields: object) -> PlanInput:
    given: dict[str, object] = {
        "plan_id": "plan-1",
        "clinic_id": "c",
        "initiative_id": "i",
        "kpi": "missed_call_rate",
        "target_change_pct": -50.0,  # provisional until the baseline
        "phase_seconds": {},
    }
    return PlanInput(**{**given, **fields})  # type: ignore[arg-type]


def test_points_become_relative_when_the_feeds_baseline_arrives_and_show_in_values() -> None:
    pending = plan(target_change_points=-14.5)
    state = PlanState(target_change_pct=-50.0)
    assert target_lock.unresolved(pending, state)
    target_lock.settle(pending, state, baseline=0.20, at="2026-12-01T00:00:00+00:00")
    # -14.5 points from 20 % is -72.5 % of the baseline, not the provisional -50 %.
    assert state.target_change_pct == pytest.approx(-72.5)
    assert state.target_history[-1]["target_in_values"] == "20 % → 5.5 %"
    assert target_lock.in_values(pending, state, 0.20) == "20 % → 5.5 % of calls"
    assert target_lock.gate_refusal(pending, state) is None


def test_the_target_follows_the_baseline_phase_then_is_locked_at_the_pilot() -> None:
    pending = plan(
        target_share_of_gap=0.5, kpi="messages_answered_within_business_day", target_change_pct=20.0
    )
    state = PlanState(target_change_pct=20.0)
    target_lock.settle(pending, state, baseline=0.60, at="t1")
    assert state.target_change_pct == pytest.approx(33.33)
    target_lock.settle(pending, state, baseline=0.50, at="t2")  # a later baseline week refines it
    assert state.target_change_pct == pytest.approx(50.0)
    state.pilot_started_at = "t3"
    target_lock.settle(pending, state, baseline=0.40, at="t4")  # locked: the pilot has begun
    assert state.target_change_pct == pytest.approx(50.0)
    assert [entry["at"] for entry in state.target_history] == ["t1", "t2"]
    target_lock.check_hand_baseline(pending, state, 0.99)  # locked: the gate checks it as relative


def test_an_impossible_target_is_an_inconclusive_gate_with_its_reason() -> None:
    pending = plan(target_change_points=-14.5)
    state = PlanState(target_change_pct=-50.0)
    target_lock.settle(pending, state, baseline=0.10, at="t1")  # 10 % cannot fall by 14.5 points
    assert "target_change_points" in state.target_problem
    assert state.target_change_pct == -50.0  # untouched; the gate does not judge against it
    evidence = target_lock.gate_refusal(pending, state)
    assert evidence is not None and evidence["outcome"] == "inconclusive"
    assert "cannot be met from the measured baseline (10.0%)" in evidence["summary"]
    assert target_lock.in_values(pending, state, 0.10) == ""
    with pytest.raises(ValueError, match="target_change_points"):
        target_lock.check_hand_baseline(pending, PlanState(), 0.10)


def test_a_target_never_read_against_a_baseline_is_inconclusive() -> None:
    pending = plan(target_change_points=-10)
    evidence = target_lock.gate_refusal(pending, PlanState(pilot_started_at="t"))
    assert evidence is not None and "needs a baseline" in evidence["reason"]
    assert target_lock.gate_refusal(plan(), PlanState()) is None  # a relative target: the gate judges
