"""Roadmap's tables and API schemas."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, computed_field, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index, text
from sqlmodel import Field, SQLModel

from services.roadmap.catalog.models import CatalogEntry, CatalogSeeded, InitiativeVendor, StrategyAnswer
from services.roadmap.plans.buy_in.models import BUY_IN_TABLES
from services.roadmap.plans.contracts import GateAction
from shared import clock
from shared.calendar import CalendarColumns
from shared.db import service_metadata
from shared.events.roadmap import IN_FLIGHT_PHASES
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage
from shared.pseudonyms import StaffPseudonym


def _now() -> datetime:
    return clock.now()


class RoadmapClinic(CalendarColumns, table=True):
    """A clinic whose roadmap this service keeps: its systems decide which initiatives integrate, its
    calendar the local dates of a plan's baseline."""

    __tablename__ = "roadmap_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    specialty: str = Field(max_length=100)
    systems: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    registered_at: datetime = Field(default_factory=_now)


class RoadmapAssessment(SQLModel, table=True):
    """The latest readiness assessment of a clinic (from intake.assessment.completed.v1)."""

    __tablename__ = "roadmap_assessment"

    clinic_id: UUID = Field(primary_key=True)
    assessment_id: UUID
    overall_score: float
    level: str = Field(max_length=30)
    dimension_scores: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    completed_at: datetime


class RoadmapAudit(SQLModel, table=True):
    """The latest task audit of a clinic and its ranked candidates (from audit.audit.completed.v1)."""

    __tablename__ = "roadmap_audit"

    clinic_id: UUID = Field(primary_key=True)
    audit_id: UUID
    total_cost_per_week: float
    low_confidence: bool = False
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    completed_at: datetime


InitiativeStatus = Literal["proposed", "approved", "done", "stopped"]


class InitiativeBase(SQLModel):
    """The five questions of one initiative, as far as the data answers them."""

    clinic_id: UUID = Field(index=True)
    rank: int
    problem: str = Field(max_length=100)
    solution: str = Field(max_length=200)
    hours_per_week: float
    cost_per_week: float
    kpi: str = Field(max_length=60)
    suggested_target_pct: float
    system: str = Field(max_length=40)
    integrates: bool | None = None
    integration_note: str = Field(default="", max_length=300)
    impact_per_week: float
    readiness: float
    score: float
    recommended: bool = False
    reason: str = Field(default="", max_length=500)


class Initiative(InitiativeBase, table=True):
    """A proposed initiative; once approved it also holds its owner, target and plan."""

    __tablename__ = "roadmap_initiative"

    id: UUID = Field(primary_key=True)
    source_audit_id: UUID
    status: str = Field(default="proposed", max_length=20, index=True)
    owner: str = Field(default="", max_length=100)
    target_change_pct: float | None = None
    pilot_group: list[str] = Field(default_factory=list, sa_type=JSON)
    phase_days: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    plan_id: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = None
    # What approval checked: target vs published effects, pilot length, warnings, baseline, money.
    review: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=_now)


class InitiativePublic(InitiativeBase):
    """An initiative as the officer sees it."""

    id: UUID
    status: str
    owner: str
    target_change_pct: float | None
    pilot_group: list[str]
    phase_days: dict[str, float]
    plan_id: str | None
    approved_at: datetime | None
    review: dict[str, Any]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dollars_saved_per_week(self) -> float:
        """Hours saved x the loaded hourly cost the audit measured (the impact the ranking uses)."""
        return self.impact_per_week

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hours_saved_per_week(self) -> float:
        hourly = self.cost_per_week / self.hours_per_week if self.hours_per_week > 0 else 0.0
        return round(self.impact_per_week / hourly, 2) if hourly else 0.0


class InitiativeList(BaseModel):
    """A clinic's initiatives, best first, and what is still missing to propose them."""

    clinic_id: UUID
    waiting_for: list[str]
    recommended_id: UUID | None
    recommendation: str
    initiatives: list[InitiativePublic]


IN_FLIGHT_CONDITION = "phase IN ({})".format(", ".join(f"'{phase}'" for phase in sorted(IN_FLIGHT_PHASES)))


class RoadmapPlan(SQLModel, table=True):
    """An implementation plan's last known phase: written by the workflow's activities."""

    __tablename__ = "roadmap_plan"
    # One problem first, even for two approvals at the same instant: the database holds at most
    # one plan per clinic before sustain. A plan never returns to these phases after sustain,
    # so this refuses only a second plan, never a phase change.
    __table_args__ = (
        Index(
            "uq_roadmap_plan_in_flight_per_clinic",
            "clinic_id",
            unique=True,
            sqlite_where=text(IN_FLIGHT_CONDITION),
            postgresql_where=text(IN_FLIGHT_CONDITION),
        ),
    )

    id: str = Field(primary_key=True, max_length=200)  # the workflow id
    clinic_id: UUID = Field(index=True)
    initiative_id: UUID = Field(index=True)
    phase: str = Field(max_length=20)
    previous_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=500)
    seq: int = 0
    started_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class RoadmapPlanTransition(SQLModel, table=True):
    """One phase change of a plan; its (plan, seq) key makes a retried activity a no-op."""

    __tablename__ = "roadmap_plan_transition"

    plan_id: str = Field(primary_key=True, max_length=200)
    seq: int = Field(primary_key=True)
    phase: str = Field(max_length=20)
    previous_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=500)
    changed_at: datetime


class RoadmapPlanNotice(SQLModel, table=True):
    """A reminder, escalation or suggestion a plan sent; keyed deterministically by the workflow."""

    __tablename__ = "roadmap_plan_notice"

    key: str = Field(primary_key=True, max_length=300)
    plan_id: str = Field(index=True, max_length=200)
    clinic_id: UUID
    kind: str = Field(max_length=40)
    message: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=_now)


class PhaseLengths(BaseModel):
    """Phase lengths in days (fractions allowed, for rehearsals and tests)."""

    model_config = ConfigDict(extra="forbid")

    baseline: float = PydanticField(default=14, gt=0, le=365)
    preparation: float = PydanticField(default=14, gt=0, le=365)
    pilot: float = PydanticField(default=42, gt=0, le=365)
    rollout: float = PydanticField(default=56, gt=0, le=365)
    sustain: float = PydanticField(default=84, gt=0, le=730)


class BaselineIn(BaseModel):
    """A baseline entered by hand, with where it comes from (kept marked as entered by hand)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["audit", "manual_count", "emr_report"]
    value: float = PydanticField(ge=0, le=100_000, allow_inf_nan=False, description="rates as 0-1, e.g. 0.29")
    weekly_volume: float | None = PydanticField(
        default=None, gt=0, le=1_000_000, allow_inf_nan=False, description="calls, notes or visits a week"
    )
    note: str = PydanticField(default="", max_length=300)


class ToolCostIn(BaseModel):
    """What the tool costs: subscription per month and/or per user and month, and set-up."""

    model_config = ConfigDict(extra="forbid")

    monthly: float = PydanticField(default=0, ge=0, le=1_000_000, allow_inf_nan=False)
    per_user_monthly: float = PydanticField(default=0, ge=0, le=100_000, allow_inf_nan=False)
    users: int = PydanticField(default=0, ge=0, le=10_000)
    setup: float = PydanticField(default=0, ge=0, le=10_000_000, allow_inf_nan=False)


class ApprovalIn(BaseModel):
    """The officer's approval: who owns it, the KPI target, the pilot group and the phase lengths."""

    model_config = ConfigDict(extra="forbid")  # a typo (pilot_groups) is a 422, never dropped

    # The one rule for staff ids (shared/pseudonyms.py): "Jane Doe, MD" is refused, pm-1 is not.
    owner: StaffPseudonym = PydanticField(description="pseudonymous staff id of who owns it, e.g. pm-1")
    target_change_pct: float = PydanticField(ge=-100, le=500, description="e.g. -30 for -30 %")
    pilot_group: list[StaffPseudonym] = PydanticField(
        default_factory=list, max_length=200, description="pseudonymous staff ids, e.g. ma-3"
    )
    phase_days: PhaseLengths = PydanticField(default_factory=PhaseLengths)
    checkin_days: float = PydanticField(default=7, gt=0, le=31)
    baseline: BaselineIn | None = PydanticField(
        default=None, description="a baseline entered by hand when no partner feed measures it"
    )
    baseline_from_history_weeks: int | None = PydanticField(
        default=None,
        ge=1,
        le=26,
        description="the partner feed already holds these whole weeks before today: they are the baseline, "
        "and the baseline phase only confirms the feed is live (1 day unless phase_days.baseline is given)",
    )
    no_baseline_reason: str = PydanticField(
        default="", max_length=500, description="why the pilot may start without any baseline"
    )
    compliance_exception: str = PydanticField(
        default="",
        max_length=500,
        description="why a tool that touches patient data may start although BAAs are not in place",
    )
    tool_cost: ToolCostIn | None = None
    average_visit_value: float | None = PydanticField(default=None, gt=0, le=100_000, allow_inf_nan=False)
    booking_share: float | None = PydanticField(
        default=None, gt=0, le=1, description="share of answered calls that book a visit"
    )

    @field_validator("target_change_pct")
    @classmethod
    def _target_not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("target_change_pct must be a change, e.g. -30 or +25")
        return value

    @model_validator(mode="after")
    def _one_baseline(self) -> "ApprovalIn":
        if self.baseline_from_history_weeks is not None:
            if self.baseline is not None:
                raise ValueError(
                    "give either baseline (entered by hand) or baseline_from_history_weeks "
                    "(weeks the feed already holds), not both"
                )
            if "baseline" not in self.phase_days.model_fields_set:
                self.phase_days.baseline = 1  # the weeks are already measured: only confirm the feed
        return self

    @property
    def baseline_days(self) -> float:
        """How many days the baseline is measured over: the past weeks, or the baseline phase ahead."""
        if self.baseline_from_history_weeks is not None:
            return 7.0 * self.baseline_from_history_weeks
        return self.phase_days.baseline


class DecisionIn(BaseModel):
    """The officer's decision at the evaluation gate."""

    model_config = ConfigDict(extra="forbid")

    action: GateAction
    extend_days: float = PydanticField(default=21, gt=0, le=120)
    note: str = PydanticField(default="", max_length=500)


class PlanChangeIn(BaseModel):
    """A change to a running plan: a new target and/or more days in the current phase."""

    model_config = ConfigDict(extra="forbid")

    target_change_pct: float | None = PydanticField(default=None, ge=-100, le=500)
    extend_phase_days: float | None = PydanticField(default=None, gt=0, le=120)


class TransitionPublic(BaseModel):
    seq: int
    phase: str
    previous_phase: str | None
    reason: str
    changed_at: datetime


class NoticePublic(BaseModel):
    kind: str
    message: str
    created_at: datetime


class PlanPublic(BaseModel):
    """A plan: its recorded phase and history, and (when the worker answers) its live status."""

    id: str
    clinic_id: UUID
    initiative_id: UUID
    problem: str
    kpi: str
    phase: str
    started_at: datetime
    live: dict[str, Any] | None = PydanticField(
        default=None, description="the workflow's status query: day in phase, next milestone, latest KPI"
    )
    review: dict[str, Any] = PydanticField(
        default_factory=dict,
        description="checked at approval: target vs published effects, minimum pilot weeks, warnings, money",
    )
    money_at_gates: list[dict[str, Any]] = PydanticField(
        default_factory=list,
        description="each gate's measured change priced as at approval: dollars a week (range), payback, ROI",
    )
    transitions: list[TransitionPublic] = []
    notices: list[NoticePublic] = []
    buy_in: dict[str, Any] | None = PydanticField(
        default=None,
        description="staff buy-in next to the KPI: communications, training, latest survey (from 5 answers)",
    )


metadata = service_metadata(
    RoadmapClinic,
    RoadmapAssessment,
    RoadmapAudit,
    Initiative,
    RoadmapPlan,
    RoadmapPlanTransition,
    RoadmapPlanNotice,
    StrategyAnswer,
    CatalogEntry,
    CatalogSeeded,
    InitiativeVendor,
    OutboxMessage,
    InboxMessage,
    *BUY_IN_TABLES,
)
