"""Events the roadmap service publishes."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody
from shared.events.kpi import KpiName

PlanPhase = Literal["baseline", "preparation", "pilot", "evaluation", "rollout", "sustain", "done", "stopped"]


class InitiativeApproved(EventBody):
    """The officer approved one initiative: its owner, KPI, baseline window and target."""

    topic = topics.INITIATIVE_APPROVED

    clinic_id: UUID
    initiative_id: UUID
    problem: str
    owner: str = Field(description="pseudonymous staff id or role of the person who owns it")
    kpi: KpiName
    baseline_start: date
    baseline_end: date
    target_change_pct: float = Field(description="e.g. -30 for documentation time -30 %")
    pilot_group: list[str] = Field(default_factory=list, description="pseudonymous staff ids")
    approved_at: datetime
    plan_id: str | None = Field(default=None, description="the implementation plan this approval started")


class PlanPhaseChanged(EventBody):
    """An implementation plan moved to another phase."""

    topic = topics.PLAN_PHASE_CHANGED

    clinic_id: UUID
    initiative_id: UUID
    plan_id: str
    phase: PlanPhase
    previous_phase: PlanPhase | None = None
    reason: str = ""
    changed_at: datetime
