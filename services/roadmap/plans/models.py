"""A plan as the officer sees it and what the officer may send it (the tables are in ../models.py)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from services.roadmap.plans.contracts import GateAction
from shared.free_text import FreeText


class BaselineIn(BaseModel):
    """A baseline entered by hand, with where it comes from (kept marked as entered by hand)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["audit", "manual_count", "emr_report"]
    value: float = PydanticField(ge=0, le=100_000, allow_inf_nan=False, description="rates as 0-1, e.g. 0.29")
    weekly_volume: float | None = PydanticField(
        default=None, gt=0, le=1_000_000, allow_inf_nan=False, description="calls, notes or visits a week"
    )
    note: FreeText = PydanticField(default="", max_length=300, description="no patient details")


class DecisionIn(BaseModel):
    """The officer's decision at the evaluation gate."""

    model_config = ConfigDict(extra="forbid")

    action: GateAction
    extend_days: float = PydanticField(default=21, gt=0, le=120)
    note: FreeText = PydanticField(default="", max_length=500, description="no patient details")


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
