"""The portal's read model: tables fed only by events (read_model/ is their only writer).

Every table is keyed so that applying an event twice, or out of order, leaves one row. The
officer's own state (sessions, spent sign-ins, dismissals) is in officer/models.py.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from shared import clock
from shared.calendar import CalendarColumns


def _now() -> datetime:
    return clock.now()


class PortalClinic(CalendarColumns, table=True):
    """A clinic of an officer's portfolio (intake.clinic.registered/updated/archived).

    Its calendar's time zone is the one its pages show times in.
    """

    __tablename__ = "portal_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    specialty: str = Field(max_length=100)
    locations: int = 1
    archived: bool = False
    registered_at: datetime = Field(default_factory=_now)
    # The time of the newest profile event applied: an older one arriving late changes nothing.
    profile_at: datetime = Field(default_factory=_now)


class PortalAssessment(SQLModel, table=True):
    """A clinic's latest readiness assessment (intake.assessment.completed)."""

    __tablename__ = "portal_assessment"

    clinic_id: UUID = Field(primary_key=True)
    assessment_id: UUID
    overall_score: float
    level: str = Field(max_length=30)
    dimension_scores: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    top_gaps: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    previous_overall_score: float | None = None
    completed_at: datetime


class PortalOpenAudit(SQLModel, table=True):
    """A clinic's audit window while it is open (audit.audit.opened until audit.audit.completed)."""

    __tablename__ = "portal_open_audit"

    clinic_id: UUID = Field(primary_key=True)
    audit_id: UUID
    starts_on: date
    ends_on: date
    opened_at: datetime


class PortalAudit(SQLModel, table=True):
    """A clinic's latest task audit and its ranked candidates (audit.audit.completed)."""

    __tablename__ = "portal_audit"

    clinic_id: UUID = Field(primary_key=True)
    audit_id: UUID
    window_start: date
    window_end: date
    total_hours_per_week: float
    total_cost_per_week: float
    low_confidence: bool = False
    staff_logged: int | None = None
    staff_expected: int | None = None
    missing_staff: list[str] = Field(default_factory=list, sa_type=JSON)
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    completed_at: datetime


class PortalInitiative(SQLModel, table=True):
    """An initiative as proposed (roadmap.initiative.proposed) and, once approved, its answers."""

    __tablename__ = "portal_initiative"

    # The clinic first in every key (the tenant: tests/unit/test_tenant_keys.py).
    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True)
    status: str = Field(default="proposed", max_length=20)
    rank: int = 1
    problem: str = Field(default="", max_length=100)
    solution: str = Field(default="", max_length=200)
    kpi: str = Field(default="", max_length=60)
    hours_per_week: float | None = None
    cost_per_week: float | None = None
    suggested_target_pct: float | None = None
    recommended: bool = False
    proposed_at: datetime | None = None
    owner: str | None = Field(default=None, max_length=100)
    target_change_pct: float | None = None
    baseline_start: date | None = None
    baseline_end: date | None = None
    pilot_group_size: int | None = None
    plan_id: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = None


class PortalPlan(SQLModel, table=True):
    """An implementation plan's current phase (roadmap.plan.phase-changed)."""

    __tablename__ = "portal_plan"

    clinic_id: UUID = Field(primary_key=True)
    id: str = Field(primary_key=True, max_length=200)
    initiative_id: UUID
    phase: str = Field(max_length=20)
    phase_since: datetime
    started_at: datetime
    phase_planned_days: float | None = None  # for "day N of M"; None from events older than the field


class PortalPlanTransition(SQLModel, table=True):
    """One phase change of a plan: the plan's timeline."""

    __tablename__ = "portal_plan_transition"

    clinic_id: UUID = Field(primary_key=True)  # the plan's
    plan_id: str = Field(primary_key=True, max_length=200)
    phase: str = Field(primary_key=True, max_length=20)
    changed_at: datetime = Field(primary_key=True)
    previous_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=1000)


class PortalNotice(SQLModel, table=True):
    """What a plan told its officer (roadmap.plan.notice-raised), and whether it was mailed."""

    __tablename__ = "portal_notice"
    __table_args__ = (Index("ix_portal_notice_unmailed", "urgent", "mail_state"),)

    clinic_id: UUID = Field(primary_key=True)
    plan_id: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=300)
    initiative_id: UUID
    kind: str = Field(max_length=40)
    urgent: bool = False
    phase: str = Field(max_length=20)
    message: str = Field(max_length=1000)
    due_at: datetime | None = None
    raised_at: datetime
    # Mail: "" not yet, "sending" claimed (never sent again, even after a crash), "sent", "no address",
    # "failed" (its message could not be made or was refused MAX_MAIL_ATTEMPTS times; see mail_problem).
    mail_state: str = Field(default="", max_length=20)
    mailed_to: str | None = Field(default=None, max_length=320)
    mailed_at: datetime | None = None
    mail_failures: int = 0  # messages that could not be made or were refused, so far
    mail_problem: str = Field(default="", max_length=300)


class PortalKpiWeek(SQLModel, table=True):
    """One KPI's value for one clinic and ISO week (kpi.snapshot)."""

    __tablename__ = "portal_kpi_week"

    clinic_id: UUID = Field(primary_key=True)
    kpi: str = Field(primary_key=True, max_length=60)
    week: str = Field(primary_key=True, max_length=8)
    initiative_id: UUID | None = None
    value: float | None = None
    baseline: float | None = None
    target: float | None = None
    progress: float | None = None
    sample_size: int = 0
    received_at: datetime = Field(default_factory=_now)


class PortalKpiSeries(SQLModel, table=True):
    """A clinic KPI's most recent weeks, kept beside the weeks for the portfolio's one cheap read.

    `recent` holds up to SERIES_WEEKS [week, value, sample size, baseline, target, progress],
    oldest first; rewritten from PortalKpiWeek whenever a snapshot of that KPI arrives.
    """

    __tablename__ = "portal_kpi_series"

    clinic_id: UUID = Field(primary_key=True)
    kpi: str = Field(primary_key=True, max_length=60)
    recent: list[list[Any]] = Field(default_factory=list, sa_type=JSON)
    # The newest of `recent` with a value, as plain columns: the portfolio reads it for every clinic
    # (sort, funnel, totals) without decoding `recent`, which only the page's sparklines need.
    latest_week: str | None = Field(default=None, max_length=8)
    latest_value: float | None = None
    latest_sample: int = 0
    latest_baseline: float | None = None
    latest_target: float | None = None
    latest_progress: float | None = None


class PortalAlert(SQLModel, table=True):
    """An alert kpi raised (kpi.alert), with its numbers."""

    __tablename__ = "portal_alert"

    id: UUID = Field(primary_key=True)
    clinic_id: UUID = Field(index=True, primary_key=True)  # the tenant in the key
    initiative_id: UUID | None = None
    kind: str = Field(max_length=40)
    kpi: str = Field(max_length=60)
    week: str = Field(max_length=8)
    message: str = Field(max_length=2000)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    raised_at: datetime


class PortalClinicActivity(SQLModel, table=True):
    """What a clinic's partner feeds show (kpi.clinic.activity), the latest `as_of` kept.

    `feeds` holds [feed, last event day, events in the last 7 days, stale]; `adoption` holds
    [week, notes signed, AI-assisted notes, AI-active staff], oldest first.
    """

    __tablename__ = "portal_clinic_activity"

    clinic_id: UUID = Field(primary_key=True)
    as_of: date
    last_event_day: date | None = None
    feeds: list[list[Any]] = Field(default_factory=list, sa_type=JSON)
    adoption: list[list[Any]] = Field(default_factory=list, sa_type=JSON)


class PortalPlanBuyIn(SQLModel, table=True):
    """The latest buy-in figures of a plan (the event's body; counts and aggregates only)."""

    __tablename__ = "portal_plan_buy_in"

    clinic_id: UUID = Field(primary_key=True)
    plan_id: str = Field(primary_key=True, max_length=200)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    changed_at: datetime
