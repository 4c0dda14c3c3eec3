"""Events the roadmap service publishes."""

from datetime import date, datetime
from typing import Literal, get_args
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody
from shared.events.kpi import KpiName
from shared.pseudonyms import StaffPseudonym

# The plan's vocabulary, defined once: every service imports it from here.
PlanPhase = Literal["baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done", "stopped"]
PLAN_PHASES: tuple[PlanPhase, ...] = get_args(PlanPhase)
# The officer's decision at the evaluation gate.
GateDecisionKind = Literal["continue", "extend", "stop"]
GATE_DECISIONS: tuple[GateDecisionKind, ...] = get_args(GateDecisionKind)
FINAL_PHASES: frozenset[str] = frozenset({"done", "stopped"})
# Phases before sustain: a clinic has at most one plan in these (one problem first).
IN_FLIGHT_PHASES: frozenset[str] = frozenset({"baseline", "preparation", "pilot", "evaluation", "rollout"})

# What a plan tells its officer. Urgent kinds are the ones a person must act on (mailed too).
NoticeKind = Literal[
    "reminder",
    # the reminders a phase starts with: preparation (communication, training, survey), pilot,
    # rollout (training) and sustain
    "communication",
    "training",
    "survey",
    "pilot_start",
    "sustain_start",
    "checkin",
    "pilot_extended",
    "decision_needed",
    "decision_overdue",
    "retraining",
    "adoption_escalation",
    "kpi_alert",
    "next_initiative",
]
URGENT_NOTICE_KINDS: frozenset[str] = frozenset(
    {"decision_needed", "decision_overdue", "adoption_escalation"}
)


class InitiativeApproved(EventBody):
    """The officer approved one initiative: its owner, KPI, baseline window and target."""

    topic = topics.INITIATIVE_APPROVED

    clinic_id: UUID
    initiative_id: UUID
    problem: str = Field(max_length=100)
    owner: StaffPseudonym = Field(description="pseudonymous staff id of the person who owns it")
    kpi: KpiName
    baseline_start: date
    baseline_end: date
    target_change_pct: float = Field(ge=-100, le=500, description="e.g. -30 for documentation time -30 %")
    pilot_group: list[StaffPseudonym] = Field(
        default_factory=list, max_length=200, description="pseudonymous staff ids"
    )
    approved_at: datetime
    plan_id: str | None = Field(
        default=None, max_length=200, description="the implementation plan this approval started"
    )
    baseline_value: float | None = Field(
        default=None,
        ge=0,
        le=100_000,
        allow_inf_nan=False,
        description="a baseline the officer entered by hand (rates as 0-1); None: measured from the feed",
    )
    baseline_source: Literal["partner_feed", "audit", "manual_count", "emr_report"] = Field(
        default="partner_feed",
        description="where the baseline comes from; anything but partner_feed was entered by hand",
    )
    baseline_weekly_volume: float | None = Field(
        default=None, gt=0, le=1_000_000, allow_inf_nan=False, description="calls, notes or visits a week"
    )


class PlanPhaseChanged(EventBody):
    """An implementation plan moved to another phase."""

    topic = topics.PLAN_PHASE_CHANGED

    clinic_id: UUID
    initiative_id: UUID
    plan_id: str = Field(max_length=200)
    phase: PlanPhase
    previous_phase: PlanPhase | None = None
    # Written by faio (the phase, its days, the gate's verdict, who decided): never the officer's note,
    # which is free text and stays in roadmap's own database. The decision travels as its kind.
    reason: str = Field(default="", max_length=2000)
    decision: GateDecisionKind | None = Field(
        default=None, description="the officer's gate decision that moved the plan, if one did"
    )
    changed_at: datetime
    planned_days: float | None = Field(
        default=None, gt=0, le=730, description="the phase's planned length as approved (before extensions)"
    )


class PlanTargetSet(EventBody):
    """The target a plan judges by changed after its approval: a target given in points or as a
    share of the gap read against the measured baseline (then locked at the pilot's start), or the
    officer's new target before the pilot. InitiativeApproved carried the provisional one."""

    topic = topics.PLAN_TARGET_SET

    clinic_id: UUID
    initiative_id: UUID
    plan_id: str = Field(max_length=200)
    # No upper bound: a share of the gap read against a small share is a large relative rise.
    target_change_pct: float = Field(ge=-100, description="the relative change judged by now, e.g. -41.38")
    problem: str = Field(
        default="",
        max_length=500,
        description="written by faio: why the target cannot be met from the measured baseline ('' if it can)",
    )
    given_as: str = Field(
        default="",
        max_length=100,
        description="as the officer gave it: '-12 percentage points', '0.5 of the gap'",
    )
    baseline_value: float | None = Field(
        default=None, ge=0, le=100_000, description="the baseline it was read against, if it was"
    )
    locked: bool = Field(default=False, description="the pilot has begun: the target no longer changes")
    set_at: datetime


class InitiativeProposed(EventBody):
    """Roadmap proposed (or re-ranked) an initiative for a clinic from its audit findings."""

    topic = topics.INITIATIVE_PROPOSED

    clinic_id: UUID
    initiative_id: UUID
    rank: int = Field(ge=1, le=100)
    problem: str = Field(max_length=100, description="the audit category the initiative addresses")
    solution: str = Field(max_length=200)
    kpi: KpiName
    hours_per_week: float = Field(ge=0, le=10_000, allow_inf_nan=False)
    cost_per_week: float = Field(ge=0, le=10_000_000, allow_inf_nan=False)
    suggested_target_pct: float = Field(ge=-100, le=500, allow_inf_nan=False)
    recommended: bool = False
    proposed_at: datetime


class PlanNoticeRaised(EventBody):
    """A plan told its officer something: a reminder, a check-in, a decision due, an escalation."""

    topic = topics.PLAN_NOTICE_RAISED

    clinic_id: UUID
    initiative_id: UUID
    plan_id: str = Field(max_length=200)
    key: str = Field(max_length=300, description="deterministic per plan: the same notice twice has one key")
    kind: NoticeKind
    urgent: bool = Field(description="a person must act on it (decision due, escalation)")
    phase: PlanPhase
    message: str = Field(max_length=1000, description="written by faio; operational figures only, no PHI")
    due_at: datetime | None = Field(default=None, description="when a decision is due, if one is")
    raised_at: datetime
