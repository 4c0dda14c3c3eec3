"""The records every concern of roadmap reads: what it learned of a clinic (the clinic, its latest
assessment and audit), its initiatives, and its plans' recorded phases and notices.

Each concern keeps its own tables and API schemas in its folder (initiatives/, plans/, plans/buy_in/,
strategy/, catalog/); tables.py gathers them all for the migrations.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import JSON, Index, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.calendar import CalendarColumns
from shared.events.roadmap import IN_FLIGHT_PHASES

SOURCE = "/faio/roadmap"  # the CloudEvents source of every event roadmap publishes


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
    # What a catalog price is multiplied by (catalog/prices.py), from intake's profile.
    locations: int | None = None
    providers: int | None = None
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

    clinic_id: UUID = Field(primary_key=True)  # the tenant first in the key
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

    clinic_id: UUID = Field(primary_key=True)  # the tenant first in the key
    id: str = Field(primary_key=True, max_length=200)  # the workflow id
    initiative_id: UUID = Field(index=True)
    phase: str = Field(max_length=20)
    previous_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=500)
    seq: int = 0
    started_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class RoadmapPlanTransition(SQLModel, table=True):
    """One phase change of a plan; its (clinic, plan, seq) key makes a retried activity a no-op."""

    __tablename__ = "roadmap_plan_transition"

    clinic_id: UUID = Field(primary_key=True)  # the plan's
    plan_id: str = Field(primary_key=True, max_length=200)
    seq: int = Field(primary_key=True)
    phase: str = Field(max_length=20)
    previous_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=500)
    changed_at: datetime


class RoadmapPlanNotice(SQLModel, table=True):
    """A reminder, escalation or suggestion a plan sent; keyed deterministically by the workflow."""

    __tablename__ = "roadmap_plan_notice"

    clinic_id: UUID = Field(primary_key=True)  # the tenant first in the key
    key: str = Field(primary_key=True, max_length=300)
    plan_id: str = Field(index=True, max_length=200)
    kind: str = Field(max_length=40)
    message: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=_now)


def upsert_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT for the session's database: one write statement, no read before it,
    so two requests at once neither collide on a key nor on SQLite's snapshot."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql_insert if dialect == "postgresql" else sqlite_insert
