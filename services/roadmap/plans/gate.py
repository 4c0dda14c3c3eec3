"""The evaluation gate's three outcomes from the plan's weeks (the workflow calls it; the statistics are
in evidence.py).

The gate takes its weeks by date: the baseline's weeks, and the complete local weeks between the
pilot's start and the gate, whatever order the snapshots arrived in. Each week carries the sums
behind its value, and per clinician where the KPI's events name staff, so the pilot group is
judged against the rest of the staff.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from temporalio import activity

from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    ClinicianReading,
    HandBaseline,
    KpiReading,
    PilotWeekReading,
    PlanInput,
    PlanState,
    WeekReading,
)
from services.roadmap.plans.evidence import (
    ClinicianWeeks,
    GateData,
    HandBaselineFigure,
    Target,
    WeekCounts,
    judge_gate_data,
)
from services.roadmap.plans.targets import check_target
from shared.calendar import weeks_touching, whole_weeks_within
from shared.kpi_measures import AUDITED_KPIS, KPI_MEASURES, LAG_WEEKS

DAYS_PER_WEEK = 7.0
HAND_BASELINE_SOURCES = ("audit", "manual_count", "emr_report")
# Phases in which a baseline may still be given: the gate has not judged the pilot yet.
BASELINE_OPEN_PHASES = frozenset({"baseline", "preparation", "pilot"})
# The weeks after the pilot measure what the plan realized (the close-out); the latest half-year is enough.
OUTCOME_PHASES = frozenset({"rollout", "sustain"})
MAX_OUTCOME_WEEKS = 26
# The weeks a plan keeps (baseline up to 26 weeks, a pilot, an extension): a year is plenty.
MAX_WEEKS_KEPT = 60
# One extension at most: more looks at the same pilot would spend the interval's 5 % error again.
MAX_EXTENSIONS = 1
# How long the gate waits for the feed's snapshot of the pilot's last complete week before judging without it.
FEED_WAIT = timedelta(days=1)


def remember_reading(state: PlanState, reading: KpiReading) -> None:
    """Keep what the gate needs from a snapshot: the baseline, and each week once (a resent week replaces)."""
    if reading.baseline is not None:
        state.baseline_value = reading.baseline
    week = WeekReading(
        week=reading.week,
        value=reading.value,
        sample_size=reading.sample_size,
        events=reading.events,
        total=reading.total,
        baseline_week=reading.baseline_week,
        clinicians=list(reading.clinicians),
        pilot_adoption=reading.pilot_adoption,
    )
    kept = [item for item in state.weeks if item.week != reading.week]
    state.weeks = sorted([*kept, week], key=lambda item: item.week)[-MAX_WEEKS_KEPT:]
    after = {item.week for item in state.outcome_weeks}
    if state.phase in OUTCOME_PHASES and reading.value is not None and reading.week not in after:
        kept_outcome = [
            *state.outcome_weeks,
            PilotWeekReading(reading.week, reading.value, reading.sample_size),
        ]
        state.outcome_weeks = kept_outcome[-MAX_OUTCOME_WEEKS:]


@dataclass
class GateQuestion:
    """Activity input: what the plan learned, for the gate to judge (numpy stays out of the sandbox)."""

    kpi: str
    target_change_pct: float
    minimum_worthwhile_pct: float | None
    time_zone: str
    baseline_start: str  # ISO dates of the baseline window ("" when the plan has none)
    baseline_end: str
    pilot_started_at: str  # ISO instants on faio's clock
    gate_at: str
    weeks: list[WeekReading] = field(default_factory=list)
    hand_baseline_value: float | None = None
    hand_baseline_weekly_volume: float | None = None
    hand_baseline_weeks: float = 0.0
    hand_baseline_source: str = ""


def plan_baseline(plan: PlanInput, state: PlanState) -> tuple[float | None, float | None]:
    """The baseline (value, weekly volume) judged against: by hand on the plan, at approval, or the feed's."""
    hand = state.hand_baseline
    if hand is not None and hand.value is not None:
        return hand.value, hand.weekly_volume
    if plan.baseline_value is not None:
        return plan.baseline_value, plan.baseline_weekly_volume
    return state.baseline_value, None


def gate_question(plan: PlanInput, state: PlanState, *, gate_at: datetime) -> GateQuestion:
    """The gate's question for a plan: its weeks, and a hand-entered baseline if there is one."""
    hand = state.hand_baseline if state.hand_baseline and state.hand_baseline.value is not None else None
    hand_value = hand.value if hand else plan.baseline_value
    return GateQuestion(
        kpi=plan.kpi,
        target_change_pct=state.target_change_pct,
        minimum_worthwhile_pct=plan.minimum_worthwhile_pct,
        time_zone=plan.time_zone,
        baseline_start=plan.baseline_start,
        baseline_end=plan.baseline_end,
        pilot_started_at=state.pilot_started_at,
        gate_at=gate_at.isoformat(),
        weeks=list(state.weeks),
        hand_baseline_value=hand_value,
        hand_baseline_weekly_volume=hand.weekly_volume if hand else plan.baseline_weekly_volume,
        hand_baseline_weeks=plan.phase_seconds.get("baseline", 0.0) / DAY_SECONDS / DAYS_PER_WEEK,
        hand_baseline_source=(hand.source if hand else plan.baseline_source)
        if hand_value is not None
        else "",
    )


def _local_day(instant: str, zone: str) -> date:
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(zone)).date()


def pilot_weeks(question: GateQuestion) -> list[str]:
    """The complete local weeks between the pilot's start and the gate (the gate's week is not over),
    without the last ones of a KPI whose weeks are final only later (referrals, denials)."""
    if not question.pilot_started_at:
        return []
    first = _local_day(question.pilot_started_at, question.time_zone)
    before_gate = _local_day(question.gate_at, question.time_zone) - timedelta(days=1)
    weeks = whole_weeks_within(first, before_gate)
    lag = LAG_WEEKS.get(question.kpi, 0)
    return weeks[: len(weeks) - lag] if lag else weeks


def baseline_weeks(question: GateQuestion) -> list[str]:
    """The baseline's weeks: those kpi marked as baseline, else those its window touches."""
    marked = [week.week for week in question.weeks if week.baseline_week]
    if marked or not question.baseline_start or not question.baseline_end:
        return marked
    return weeks_touching(
        date.fromisoformat(question.baseline_start), date.fromisoformat(question.baseline_end)
    )


def missing_pilot_week(question: GateQuestion) -> str:
    """The pilot's last complete week when the feed has not delivered it yet ("": it has, or none)."""
    weeks = pilot_weeks(question)
    if not weeks or any(item.week == weeks[-1] for item in question.weeks):
        return ""
    return weeks[-1]


def gate_data(
    question: GateQuestion, *, judged_weeks: list[str] | None = None, ramp_up_weeks: int = 3
) -> GateData:
    """The statistics' input: the weeks by date, with their sums, clinic-wide and per clinician.

    The pilot's weeks by default; the close-out judges the weeks after the pilot instead, no ramp-up.
    """
    measure, better = KPI_MEASURES.get(question.kpi, ("other", "higher"))
    measure = AUDITED_KPIS.get(question.kpi, measure)  # an audit's hours: one value a re-audited week
    clinic = tuple(
        WeekCounts(item.week, float(item.events), float(item.total))
        for item in question.weeks
        if item.events is not None and item.total is not None
    )
    per_clinician: dict[tuple[str, bool], list[WeekCounts]] = {}
    for item in question.weeks:
        for clinician in item.clinicians:
            per_clinician.setdefault((clinician.staff_id, clinician.pilot), []).append(
                WeekCounts(item.week, clinician.events, clinician.total)
            )
    hand = None
    if question.hand_baseline_value is not None:
        hand = HandBaselineFigure(
            value=question.hand_baseline_value,
            weekly_volume=question.hand_baseline_weekly_volume,
            weeks=question.hand_baseline_weeks,
            source=question.hand_baseline_source,
        )
    return GateData(
        kpi=question.kpi,
        measure=measure,  # type: ignore[arg-type]  # count and other: inconclusive with the reason
        better=better,
        baseline_weeks=tuple(baseline_weeks(question)),
        pilot_weeks=tuple(pilot_weeks(question) if judged_weeks is None else judged_weeks),
        clinic=clinic,
        clinicians=tuple(
            ClinicianWeeks(staff_id, pilot, tuple(weeks))
            for (staff_id, pilot), weeks in per_clinician.items()
        ),
        hand_baseline=hand,
        ramp_up_weeks=ramp_up_weeks,
    )


def gate_evidence(question: GateQuestion) -> dict[str, Any]:
    """The gate's evidence as plain data: outcome, design, method, estimate, interval, n, recommendation."""
    target = Target(
        change_pct=question.target_change_pct, minimum_worthwhile_pct=question.minimum_worthwhile_pct
    )
    evidence = asdict(judge_gate_data(gate_data(question), target))
    weeks = evidence.get("extension_weeks")
    evidence["extension_days"] = weeks * DAYS_PER_WEEK if weeks is not None else None
    evidence["awaiting_week"] = missing_pilot_week(question)
    return evidence


def realized_evidence(question: GateQuestion, outcome_weeks: list[str]) -> dict[str, Any]:
    """What the plan realized: the weeks after the pilot against the same baseline, judged like the gate."""
    target = Target(
        change_pct=question.target_change_pct, minimum_worthwhile_pct=question.minimum_worthwhile_pct
    )
    return asdict(judge_gate_data(gate_data(question, judged_weeks=outcome_weeks, ramp_up_weeks=0), target))


def question_of_status(
    status: dict[str, Any], *, kpi: str, target_change_pct: float, baseline_days: float
) -> GateQuestion:
    """The gate's question rebuilt from a plan's status (PlanStatus as a dict), for the close-out."""
    weeks = [
        WeekReading(
            **{key: value for key, value in week.items() if key != "clinicians"},
            clinicians=[ClinicianReading(**item) for item in week.get("clinicians", [])],
        )
        for week in status.get("weeks", [])
    ]
    return GateQuestion(
        kpi=kpi,
        target_change_pct=target_change_pct,
        minimum_worthwhile_pct=None,
        time_zone="UTC",
        baseline_start="",
        baseline_end="",
        pilot_started_at=status.get("pilot_started_at", ""),
        gate_at="",
        weeks=weeks,
        hand_baseline_value=status.get("baseline_value")
        if status.get("baseline_source") not in ("", "partner_feed")
        else None,
        hand_baseline_weekly_volume=status.get("baseline_weekly_volume"),
        hand_baseline_weeks=baseline_days / DAYS_PER_WEEK,
        hand_baseline_source=status.get("baseline_source", ""),
    )


@activity.defn(name="judge_gate")
async def judge_gate(question: GateQuestion) -> dict[str, Any]:
    """A local activity: pure and deterministic, but numpy and statsmodels do not run in the sandbox."""
    return gate_evidence(question)


def gate_message(evidence: dict[str, Any], *, timeout_days: int, may_extend: bool = True) -> str:
    """What the officer is told at the gate: the outcome, the evidence and what to decide."""
    summary = evidence["summary"]
    if evidence.get("design", "").startswith("before/after only"):
        summary += " (before/after only: no concurrent control group)"
    if evidence["outcome"] == "pass":
        return f"gate passed: {summary}; sign off to start the rollout (continue) within {timeout_days} days"
    choices = "continue, extend or stop" if may_extend else "continue or stop; the one extension is used"
    if evidence["outcome"] == "fail":
        return f"gate failed: {summary}; decide ({choices}) within {timeout_days} days"
    days = evidence.get("extension_days")
    offer = f"recommended: extend the pilot by {math.ceil(days)} days" if days and may_extend else "decide"
    return f"gate inconclusive: {summary}; {offer} ({choices}) within {timeout_days} days"


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


def check_hand_baseline(
    given: HandBaseline, *, phase: str, kpi: str, target_change_pct: float, target_pending: bool = False
) -> None:
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
    measure, better = KPI_MEASURES.get(kpi, ("other", "higher"))
    if given.value is not None and measure == "rate" and not 0 <= given.value <= 1:
        raise ValueError(
            f"baseline.value: {kpi} is a share; give it between 0 and 1 (e.g. 0.29 for 29 %), "
            f"not {given.value:g}"
        )
    if given.value is not None and measure in ("rate", "duration", "count") and not target_pending:
        problem = check_target(
            measure=measure, better=better, baseline_value=given.value, change_pct=target_change_pct
        )
        if problem:
            raise ValueError(problem)


def pilot_waits_message(plan: PlanInput) -> str:
    """What the officer is told when the pilot cannot start: what is missing and the two ways on."""
    return (
        f"the pilot cannot start: no baseline for {plan.kpi} (no partner feed measured one and none was "
        f"entered); enter one by hand with POST /v1/plans/{plan.plan_id}/baseline (source: audit, "
        "manual_count or emr_report; value; weekly_volume) or record no_baseline_reason there"
    )
