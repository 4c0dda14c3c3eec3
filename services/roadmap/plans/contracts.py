"""What goes in and out of the implementation plan workflow: inputs, signals, updates, query, activities.

Plain dataclasses of strings and numbers (times as ISO strings, ids as strings) so Temporal's
default converter carries them and a recorded history stays readable and replayable.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

DAY_SECONDS = 86_400.0


def plan_workflow_id(initiative_id: object) -> str:
    return f"plan-{initiative_id}"


@dataclass
class AdoptionAlert:
    """A KPI alert relayed from the KPI service (adoption decline or target regression)."""

    alert_id: str
    kind: str
    kpi: str
    week: str
    message: str = ""


@dataclass
class HandBaseline:
    """A baseline the officer entered on a running plan (update input), or why there is none."""

    source: str = ""  # audit | manual_count | emr_report; "" with a reason instead
    value: float | None = None
    weekly_volume: float | None = None
    no_baseline_reason: str = ""


@dataclass
class PilotWeekReading:
    """One week of the plan's KPI after the pilot (rollout, sustain), kept for the close-out."""

    week: str
    value: float
    sample_size: int


@dataclass
class ClinicianReading:
    """One clinician's sums for a week (minutes and notes, or events and total); pilot or control."""

    staff_id: str
    pilot: bool
    events: float
    total: float


@dataclass
class WeekReading:
    """One local week of the plan's KPI with the sums behind it: the gate picks its weeks by date."""

    week: str
    value: float | None
    sample_size: int
    events: float | None = None
    total: float | None = None
    baseline_week: bool = False
    clinicians: list[ClinicianReading] = field(default_factory=list)
    pilot_adoption: float | None = None  # share of the pilot group who used the tool that week


@dataclass
class PlanState:
    """Where a plan stands; carried across continue-as-new so a new run resumes mid-phase."""

    phase: str = "baseline"
    elapsed_seconds: float = 0.0  # active (not paused) time spent in the current phase
    phase_seconds: float = 0.0  # length of the current phase, extensions included
    checkins_done: int = 0  # weekly check-ins already held in the current phase
    seq: int = 0  # phase transitions so far: the deterministic key of each phase-changed event
    notices: int = 0  # notices sent so far: the deterministic key of each notice
    paused: bool = False
    pilot_extended: bool = False
    extensions: int = 0  # gate extensions granted: one at most
    target_change_pct: float = 0.0
    # Every target the plan had, oldest first ({"target_change_pct", "at", "phase"}): locked at the pilot.
    target_history: list[dict[str, Any]] = field(default_factory=list)
    pilot_started_at: str = ""  # when the (first) pilot began, ISO 8601 on faio's clock
    latest_kpi_week: str = ""
    latest_kpi_value: float | None = None
    latest_kpi_progress: float | None = None
    alerts_pending: list[AdoptionAlert] = field(default_factory=list)
    alerts_seen: list[str] = field(default_factory=list)  # the last alert ids, to drop redeliveries
    alerts_this_week: int = 0
    alerts_in_a_row: int = 0
    retrainings: int = 0
    escalations: int = 0
    decision: str = ""  # the officer's gate decision, once given: continue | extend | stop
    decision_note: str = ""
    decision_extend_days: float = 0.0
    awaiting_decision: bool = False
    decision_escalated: bool = False
    next_initiative_id: str = ""
    next_initiative_problem: str = ""
    runs: int = 1
    # The gate's evidence: the baseline, the KPI's weeks (by date), what the gate judged, who signed off.
    baseline_value: float | None = None  # the KPI's baseline as the snapshots (or the officer) gave it
    weeks: list[WeekReading] = field(default_factory=list)
    gate_evidence: dict[str, Any] = field(default_factory=dict)
    decision_by: str = ""
    signed_off_by: str = ""
    signed_off_at: str = ""
    # A pilot needs a baseline: one entered by hand on the running plan, or why it may start without.
    awaiting_baseline: bool = False
    hand_baseline: HandBaseline | None = None
    no_baseline_reason: str = ""
    # For the close-out: every gate's evidence, and the KPI's weeks after the pilot (rollout, sustain).
    gate_history: list[dict[str, Any]] = field(default_factory=list)
    outcome_weeks: list[PilotWeekReading] = field(default_factory=list)
    # Leaving preparation (preparation.py): buy-in changes signalled so far, and whether the plan holds.
    buy_in_changes: int = 0
    preparation_holding: bool = False
    # A target in points or as a share of the gap, pending until the feed's baseline (target_lock.py):
    # the baseline it was made relative from, or why it cannot be met from there.
    target_resolved_from: float | None = None
    target_problem: str = ""
    # What kpi was last told of the target ([change %, problem, locked]); empty: the approval's.
    kpi_target: list[Any] = field(default_factory=list)


@dataclass
class PlanInput:
    """One approved initiative's plan: phase lengths (seconds), cadence and the KPI it must move."""

    plan_id: str
    clinic_id: str
    initiative_id: str
    kpi: str
    target_change_pct: float
    phase_seconds: dict[str, float]
    checkin_seconds: float = 7 * DAY_SECONDS
    decision_timeout_seconds: float = 7 * DAY_SECONDS
    # Continue-as-new once a run's history passes this many events (Temporal also suggests it).
    history_limit: int = 2_000
    state: PlanState | None = None
    baseline_value: float | None = None  # a baseline the officer entered by hand
    baseline_weekly_volume: float | None = None
    baseline_source: str = ""  # where baseline_value comes from: audit | manual_count | emr_report
    no_baseline_reason: str = ""  # the officer's reason at approval for a pilot without a baseline
    # For the Temporal UI (search attributes and memo).
    officer_id: str = ""
    clinic_name: str = ""
    # faio's clock minus the system's when the plan started (shared.clock): what the workflow adds
    # to workflow.now() for the dates it records, so they agree with the services' calendar.
    clock_offset_seconds: float = 0.0
    # The clinic's own time and the baseline's dates (ISO): the gate takes complete local weeks.
    time_zone: str = "UTC"
    baseline_start: str = ""
    baseline_end: str = ""
    # A pilot that began before faio followed the plan: the plan starts in it (ISO instants, the
    # clinic's local midnight of the pilot's first day and of the baseline's).
    pilot_started_at: str = ""
    baseline_started_at: str = ""
    minimum_worthwhile_pct: float | None = None  # default: half the target
    # A share's target given in points or as a share of the gap before any baseline was known: the
    # plan makes it relative when the baseline arrives (target_change_pct is provisional until then).
    target_change_points: float | None = None
    target_share_of_gap: float | None = None


@dataclass
class KpiReading:
    """A weekly KPI snapshot relayed from the KPI service, with the sums behind its value."""

    kpi: str
    week: str
    value: float | None
    baseline: float | None = None
    progress: float | None = None
    sample_size: int = 0
    events: float | None = None
    total: float | None = None
    baseline_week: bool = False
    clinicians: list[ClinicianReading] = field(default_factory=list)
    pilot_adoption: float | None = None


# continue (go to rollout) | extend (the pilot runs longer) | stop
GateAction = Literal["continue", "extend", "stop"]


@dataclass
class GateDecision:
    """The officer's decision at the evaluation gate."""

    action: str  # a GateAction; plain text on the wire, so the workflow's validator names a wrong one
    extend_days: float = 21.0
    note: str = ""
    decided_by: str = ""  # the officer's id: a sign-off records who and when


@dataclass
class PlanChange:
    """A change to a running plan: a new KPI target and/or more days for the current phase."""

    target_change_pct: float | None = None
    extend_phase_days: float | None = None


@dataclass
class PlanStatus:
    """What the officer sees of a running plan."""

    plan_id: str
    phase: str
    paused: bool
    day_in_phase: int
    active_seconds: float  # active time in the phase as of `as_of` (the workflow's last step)
    as_of: str
    phase_length_days: float
    next_milestone: str
    next_milestone_at: str
    awaiting_decision: bool
    pilot_extended: bool
    kpi: str
    target_change_pct: float
    latest_kpi_week: str
    latest_kpi_value: float | None
    latest_kpi_progress: float | None
    alerts_in_a_row: int
    retrainings: int
    escalations: int
    next_initiative_id: str
    runs: int
    gate_evidence: dict[str, Any] = field(default_factory=dict)
    signed_off_by: str = ""
    signed_off_at: str = ""
    awaiting_baseline: bool = False
    baseline_source: str = ""  # partner_feed | audit | manual_count | emr_report | "" (none yet)
    no_baseline_reason: str = ""
    baseline_value: float | None = None
    baseline_weekly_volume: float | None = None
    gate_history: list[dict[str, Any]] = field(default_factory=list)
    outcome_weeks: list[PilotWeekReading] = field(default_factory=list)
    next_initiative_problem: str = ""
    preparation_holding: bool = False
    pilot_started_at: str = ""
    target_history: list[dict[str, Any]] = field(default_factory=list)
    extensions: int = 0
    weeks: list[WeekReading] = field(default_factory=list)
    # A target in points or as a share of the gap: still waiting for its baseline, in absolute
    # values once it has one ("29 % → 14.5 %"), or why it cannot be met from that baseline.
    target_pending: bool = False
    target_in_values: str = ""
    target_problem: str = ""


@dataclass
class PhaseChange:
    """Activity input: record a phase transition and publish roadmap.plan.phase-changed.v1."""

    plan_id: str
    clinic_id: str
    initiative_id: str
    seq: int
    phase: str
    previous_phase: str | None
    reason: str
    changed_at: str
    # The officer's gate decision and its note: the note is kept with the transition, never published.
    decision: str = ""
    note: str = ""


@dataclass
class TargetChange:
    """Activity input: publish roadmap.plan.target-set.v1, the target the plan now judges by."""

    plan_id: str
    clinic_id: str
    initiative_id: str
    target_change_pct: float
    problem: str
    given_as: str
    baseline_value: float | None
    locked: bool
    set_at: str


@dataclass
class PlanNotice:
    """Activity input: something the officer or staff must hear (reminder, escalation, ...)."""

    plan_id: str
    clinic_id: str
    key: str  # deterministic: a retried activity records it once
    kind: str  # a NoticeKind (shared/events/roadmap.py); checked by the activity
    message: str
    initiative_id: str
    phase: str  # the plan's phase when it was raised
    raised_at: str  # ISO 8601, the workflow's clock
    due_at: str = ""  # ISO 8601, when a gate decision is due


@dataclass
class NextInitiative:
    """Activity output: the initiative suggested once a plan is over."""

    initiative_id: str = ""
    problem: str = ""


@dataclass
class PlanResult:
    plan_id: str
    outcome: str  # done | stopped
    next_initiative_id: str
    next_initiative_problem: str
