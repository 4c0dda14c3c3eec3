"""The evaluation gate's three outcomes from what the plan learned in its pilot (pure; the workflow calls it).

Rates are judged by evidence.compare_rates over the pilot weeks' counts against the clinic's own
baseline. Other KPIs reach the plan as weekly values only (per-clinician minutes stay in kpi), so
their gate shows the weekly progress and says that no interval could be computed.
"""

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from temporalio import activity

from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    HandBaseline,
    KpiReading,
    PilotWeekReading,
    PlanInput,
    PlanState,
)
from services.roadmap.plans.evidence import RATE_KPIS, compare_rates

DAYS_PER_WEEK = 7.0
HAND_BASELINE_SOURCES = ("audit", "manual_count", "emr_report")
# Phases in which a baseline may still be given: the gate has not judged the pilot yet.
BASELINE_OPEN_PHASES = frozenset({"baseline", "preparation", "pilot"})
# The weeks after the pilot measure what the plan realized (the close-out); the latest half-year is enough.
OUTCOME_PHASES = frozenset({"rollout", "sustain"})
MAX_OUTCOME_WEEKS = 26


@dataclass(frozen=True)
class PilotWeek:
    """One pilot week of the plan's KPI: its rate and how many observations it came from."""

    week: str
    value: float
    sample_size: int


def gate_evidence(
    *,
    kpi: str,
    target_change_pct: float,
    baseline_value: float | None,
    baseline_weekly_volume: float | None,
    baseline_days: float,
    pilot_weeks: list[PilotWeek],
    progress: float | None,
) -> dict[str, Any]:
    """The gate's evidence as plain data: outcome, method, estimate, interval, n, recommendation."""
    counted = [week for week in pilot_weeks if week.sample_size > 0]
    if kpi in RATE_KPIS and counted and baseline_value is not None and 0 < baseline_value < 1:
        pilot_total = sum(week.sample_size for week in counted)
        pilot_events = round(sum(week.value * week.sample_size for week in counted))
        weekly = baseline_weekly_volume
        method_note = ""
        if weekly is None:
            # The plan never learned the baseline's volume: take the pilot's (a clinic's volume is steady).
            weekly = pilot_total / len(counted)
            method_note = "; baseline volume taken as the pilot's weekly volume"
        baseline_total = max(round(weekly * baseline_days / DAYS_PER_WEEK), 1)
        evidence = compare_rates(
            baseline_events=round(baseline_value * baseline_total),
            baseline_total=baseline_total,
            pilot_events=min(pilot_events, pilot_total),
            pilot_total=pilot_total,
            target_change_pct=target_change_pct,
            pilot_weeks=len(counted),
        )
        result = asdict(evidence)
        result["method"] += method_note
        result["extension_days"] = (
            evidence.extension_weeks * DAYS_PER_WEEK if evidence.extension_weeks is not None else None
        )
        return result
    shown = "no KPI data" if progress is None else f"{progress:.0%} of the way to the target"
    reached = progress is not None and progress >= 1.0
    return {
        "outcome": "pass" if reached else "inconclusive",
        "method": (
            "weekly KPI progress against the target; no confidence interval: the counts behind this "
            "KPI do not reach the plan"
        ),
        "estimate_pct": None if progress is None else round(progress * target_change_pct, 2),
        "ci_low_pct": None,
        "ci_high_pct": None,
        "confidence": None,
        "target_pct": target_change_pct,
        "target_position": None,
        "n_baseline": 0,
        "n_pilot": sum(week.sample_size for week in pilot_weeks),
        "p_value": None,
        "extension_weeks": None,
        "extension_days": None,
        "summary": shown,
    }


def remember_reading(state: PlanState, reading: KpiReading) -> None:
    """Keep what the gate needs from a snapshot: the baseline, and each pilot week once."""
    if reading.baseline is not None:
        state.baseline_value = reading.baseline
    seen = {week.week for week in state.pilot_weeks}
    if state.phase == "pilot" and reading.value is not None and reading.week not in seen:
        state.pilot_weeks.append(PilotWeekReading(reading.week, reading.value, reading.sample_size))
    after = {week.week for week in state.outcome_weeks}
    if state.phase in OUTCOME_PHASES and reading.value is not None and reading.week not in after:
        kept = [*state.outcome_weeks, PilotWeekReading(reading.week, reading.value, reading.sample_size)]
        state.outcome_weeks = kept[-MAX_OUTCOME_WEEKS:]


@dataclass
class GateQuestion:
    """Activity input: what the plan learned, for the gate to judge (numpy stays out of the sandbox)."""

    kpi: str
    target_change_pct: float
    baseline_value: float | None
    baseline_weekly_volume: float | None
    baseline_days: float
    progress: float | None
    pilot_weeks: list[PilotWeekReading] = field(default_factory=list)


def plan_baseline(plan: PlanInput, state: PlanState) -> tuple[float | None, float | None]:
    """The baseline (value, weekly volume) judged against: by hand on the plan, at approval, or the feed's."""
    hand = state.hand_baseline
    if hand is not None and hand.value is not None:
        return hand.value, hand.weekly_volume
    if plan.baseline_value is not None:
        return plan.baseline_value, plan.baseline_weekly_volume
    return state.baseline_value, None


def gate_question(plan: PlanInput, state: PlanState) -> GateQuestion:
    """The gate's question for a plan: a hand-entered baseline wins over the snapshots' one."""
    value, volume = plan_baseline(plan, state)
    return GateQuestion(
        kpi=plan.kpi,
        target_change_pct=state.target_change_pct,
        baseline_value=value,
        baseline_weekly_volume=volume,
        baseline_days=plan.phase_seconds.get("baseline", 0.0) / DAY_SECONDS,
        progress=state.latest_kpi_progress,
        pilot_weeks=list(state.pilot_weeks),
    )


@activity.defn(name="judge_gate")
async def judge_gate(question: GateQuestion) -> dict[str, Any]:
    """A local activity: pure and deterministic, but numpy and statsmodels do not run in the sandbox."""
    return gate_evidence(
        kpi=question.kpi,
        target_change_pct=question.target_change_pct,
        baseline_value=question.baseline_value,
        baseline_weekly_volume=question.baseline_weekly_volume,
        baseline_days=question.baseline_days,
        pilot_weeks=[PilotWeek(week.week, week.value, week.sample_size) for week in question.pilot_weeks],
        progress=question.progress,
    )


def gate_message(evidence: dict[str, Any], *, timeout_days: int) -> str:
    """What the officer is told at the gate: the outcome, the evidence and what to decide."""
    summary = evidence["summary"]
    if evidence["outcome"] == "pass":
        return f"gate passed: {summary}; sign off to start the rollout (continue) within {timeout_days} days"
    if evidence["outcome"] == "fail":
        return f"gate failed: {summary}; decide to stop, extend or continue anyway within {timeout_days} days"
    days = evidence.get("extension_days")
    offer = f"recommended: extend the pilot by {math.ceil(days)} days" if days else "decide"
    return f"gate inconclusive: {summary}; {offer} (continue, extend or stop) within {timeout_days} days"


def baseline_source(plan: PlanInput, state: PlanState) -> str:
    """Where the plan's baseline comes from; "" while it has none."""
    if state.hand_baseline is not None and state.hand_baseline.value is not None:
        return state.hand_baseline.source
    if plan.baseline_value is not None:
        return plan.baseline_source or "entered_by_hand"
    return "partner_feed" if state.baseline_value is not None else ""


def no_baseline_reason(plan: PlanInput, state: PlanState) -> str:
    """The officer's reason for a pilot without a baseline (on the running plan, else at approval)."""
    return state.no_baseline_reason or plan.no_baseline_reason


def pilot_may_start(plan: PlanInput, state: PlanState) -> bool:
    """A pilot is judged against the clinic's own baseline: it starts with one, or the officer's reason."""
    return bool(baseline_source(plan, state) or no_baseline_reason(plan, state))


def check_hand_baseline(given: HandBaseline, *, phase: str) -> None:
    """Why a baseline given on a running plan is refused (ValueError naming the field), if it is."""
    if phase not in BASELINE_OPEN_PHASES:
        raise ValueError(
            f"baseline: the plan is in {phase}; the gate has judged the pilot against what it had, "
            "so the baseline can no longer change"
        )
    reason = given.no_baseline_reason.strip()
    if given.value is None and not reason:
        raise ValueError(
            "baseline: a pilot needs a baseline; enter one by hand (baseline.source, baseline.value and "
            "baseline.weekly_volume) or record why the pilot may start without one in no_baseline_reason"
        )
    if given.value is not None and given.source not in HAND_BASELINE_SOURCES:
        raise ValueError(
            f"baseline.source: say where the figure comes from: {', '.join(HAND_BASELINE_SOURCES)}"
        )


def pilot_waits_message(plan: PlanInput) -> str:
    """What the officer is told when the pilot cannot start: what is missing and the two ways on."""
    return (
        f"the pilot cannot start: no baseline for {plan.kpi} (no partner feed measured one and none was "
        f"entered); enter one by hand with POST /v1/plans/{plan.plan_id}/baseline (source: audit, "
        "manual_count or emr_report; value; weekly_volume) or record no_baseline_reason there"
    )
