"""A share's target given in points or as a share of the gap before its baseline was known.

The approval keeps such a target pending when the baseline comes from the feed (its history or the
baseline phase). The plan makes it relative as soon as a baseline arrives, checks it can be met from
there, and keeps re-making it while the baseline phase refines the baseline; from the pilot's start
it is locked. Every value it takes is recorded in the plan's target history. A target that cannot be
met from the measured baseline is no failure of the workflow: the gate says "inconclusive" with why.
Pure functions of the plan's input and state, so the workflow stays deterministic.
"""

from dataclasses import asdict
from typing import Any

from services.roadmap.plans.contracts import PlanInput, PlanState
from services.roadmap.plans.evidence import GateEvidence
from services.roadmap.plans.targets import resolve_target, target_value_text
from shared.kpi_measures import better_of, measure_of


def is_pending(plan: PlanInput) -> bool:
    """Whether the plan's target waits for a baseline (given in points or as a share of the gap)."""
    return plan.target_change_points is not None or plan.target_share_of_gap is not None


def unresolved(plan: PlanInput, state: PlanState) -> bool:
    """A pending target with no baseline made relative yet (nor found impossible)."""
    return is_pending(plan) and state.target_resolved_from is None


def locked(state: PlanState) -> bool:
    """Made relative and the pilot begun: the target no longer follows the baseline."""
    return bool(state.pilot_started_at) and state.target_resolved_from is not None


def as_given(plan: PlanInput) -> str:
    """The target as the officer typed it: "-14.5 points" or "0.5 of the gap"."""
    if plan.target_change_points is not None:
        return f"{plan.target_change_points:+g} percentage points"
    return f"{plan.target_share_of_gap:g} of the gap"


def settle(plan: PlanInput, state: PlanState, *, baseline: float | None, at: str) -> None:
    """Make a pending target relative from this baseline, unless the pilot has locked it already."""
    if not is_pending(plan) or baseline is None or baseline == state.target_resolved_from:
        return
    if locked(state):
        return  # locked at the pilot's start: the gate judges against what was set before it
    change, problem = resolve_target(
        better=better_of(plan.kpi),
        baseline_value=baseline,
        points=plan.target_change_points,
        share_of_gap=plan.target_share_of_gap,
    )
    state.target_resolved_from = baseline
    state.target_problem = problem
    entry: dict[str, Any] = {
        "target_change_pct": change if change is not None else state.target_change_pct,
        "at": at,
        "phase": state.phase,
        "baseline_value": baseline,
        "given_as": as_given(plan),
    }
    if change is None:
        entry["problem"] = problem
    else:
        state.target_change_pct = change
        entry["target_in_values"] = target_value_text(
            measure="rate", baseline_value=baseline, change_pct=change
        )
    state.target_history.append(entry)


def as_told(plan: PlanInput, state: PlanState) -> list[Any]:
    """What kpi should know of the target now: [change %, why it cannot be met, locked]."""
    return [
        state.target_change_pct,
        state.target_problem,
        bool(state.pilot_started_at) and not unresolved(plan, state),
    ]


def kpi_knows(plan: PlanInput, state: PlanState) -> list[Any]:
    """What kpi was last told: the approval's provisional target until the plan tells it otherwise."""
    return state.kpi_target or [plan.target_change_pct, "", False]


def in_values(plan: PlanInput, state: PlanState, baseline: float | None) -> str:
    """The plan's target in absolute values against its baseline ("29 % → 14.5 %"), "" without one."""
    measure = measure_of(plan.kpi)
    if baseline is None or measure == "other" or state.target_problem or unresolved(plan, state):
        return ""
    unit = "of calls" if plan.kpi == "missed_call_rate" else ""
    return target_value_text(
        measure=measure, baseline_value=baseline, change_pct=state.target_change_pct, unit=unit
    )


def check_hand_baseline(plan: PlanInput, state: PlanState, value: float) -> None:
    """A hand baseline for a pending target must let it be met (ValueError naming the field, else)."""
    if not is_pending(plan) or locked(state):
        return
    _, problem = resolve_target(
        better=better_of(plan.kpi),
        baseline_value=value,
        points=plan.target_change_points,
        share_of_gap=plan.target_share_of_gap,
    )
    if problem:
        raise ValueError(f"{problem} (the target was given as {as_given(plan)})")


def gate_refusal(plan: PlanInput, state: PlanState) -> dict[str, Any] | None:
    """The gate's "inconclusive" when the target cannot be judged: never measured, or out of reach."""
    if not is_pending(plan):
        return None
    if state.target_problem:
        reason = (
            f"the target ({as_given(plan)}) cannot be met from the measured baseline "
            f"({state.target_resolved_from:.1%}): {state.target_problem}"
        )
    elif unresolved(plan, state):
        reason = (
            f"the target ({as_given(plan)}) needs a baseline to be read, and none was measured or entered"
        )
    else:
        return None
    evidence = GateEvidence(
        outcome="inconclusive",
        method="not judged: the target cannot be read against the baseline",
        estimate_pct=None,
        ci_low_pct=None,
        ci_high_pct=None,
        confidence=0.95,
        target_pct=state.target_change_pct,
        target_position=None,
        n_baseline=0,
        n_pilot=0,
        p_value=None,
        extension_weeks=None,
        summary=f"inconclusive: {reason}",
    )
    return {**asdict(evidence), "reason": reason, "extension_days": None, "awaiting_week": ""}
