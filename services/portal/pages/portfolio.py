"""The portfolio: one row per clinic of an officer, most in need of attention first.

Read with a handful of column queries over all the officer's clinics at once (pages/reads.py;
no ORM objects: an officer with 1,000 clinics has tens of thousands of KPI weeks), then each row
built from what was read. Every row carries what sorts, filters, counts and totals it (each KPI's
newest week); only the rows on the page shown get their sparklines (`with_sparklines`).
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import needs, reads, rules
from services.portal.pages.activity import feed_of
from services.portal.pages.reads import Point
from services.portal.read_model.models import (
    PortalAssessment,
    PortalInitiative,
    PortalOpenAudit,
)
from services.portal.read_model.times import aware
from shared.events.roadmap import FINAL_PHASES, PLAN_PHASES

SPARK_WEEKS = 12
STAGES = ("registered", "assessed", "auditing", "roadmap", *(f"plan:{phase}" for phase in PLAN_PHASES))


@dataclass
class KpiSummary:
    name: str
    value: float | None
    baseline: float | None
    target: float | None
    progress: float | None
    colour: str
    sample_size: int
    change_pct: float | None
    points: list[tuple[str, float | None]] = field(default_factory=list)


@dataclass(slots=True)
class ClinicRow:
    id: UUID
    name: str
    specialty: str
    zone: str  # the clinic's time zone: its dates are shown on its own calendar
    readiness_level: str | None
    readiness_score: float | None
    readiness_colour: str
    stage: str
    stage_label: str
    plan_id: str | None
    gate: rules.GateStatus
    kpi: KpiSummary | None
    adoption: str
    adoption_change_pct: float | None
    open_alerts: int
    feed: rules.FeedHealth
    attention_score: int
    reasons: list[str]
    kpi_per_person: bool = False  # the primary KPI is AI use of one or two people: not shown


@dataclass
class Filters:
    specialty: str = ""
    stage: str = ""
    needs_attention: bool = False
    q: str = ""


def _stage(
    plan: Any,
    *,
    has_assessment: bool,
    has_audit: bool,
    has_initiative: bool,
    due: datetime | None,
    now: datetime,
    open_audit: Any = None,
    zone: tzinfo = UTC,
) -> tuple[str, str]:
    """Where the clinic is in the method, as a filter key and words for the portfolio."""
    if plan is not None:
        return f"plan:{plan.phase}", _plan_stage(plan, due=due, now=now)
    if open_audit is not None:
        return "auditing", _audit_stage(open_audit, today=now.astimezone(zone).date())
    if has_audit or has_initiative:
        return "roadmap", "roadmap: choose an initiative"
    if has_assessment:
        return "assessed", "assessed: audit next"
    return "registered", "registered: assess next"


def _plan_stage(plan: Any, *, due: datetime | None, now: datetime) -> str:
    if plan.phase in FINAL_PHASES:
        return f"plan {plan.phase}"
    since = aware(plan.phase_since)
    day = (now - since).days + 1
    if planned := plan.phase_planned_days:
        of = f" of {max(day, math.ceil(planned))}"
    elif due is not None and due > since:
        of = f" of {max(day, (due - since).days)}"
    else:
        of = ""
    return f"{plan.phase}, day {day}{of}"


def _audit_stage(open_audit: Any, *, today: date) -> str:
    """The audit's day on the clinic's calendar (its window is in the clinic's own dates)."""
    day = (today - open_audit.starts_on).days + 1
    length = (open_audit.ends_on - open_audit.starts_on).days + 1
    if day < 1:
        return f"auditing from {open_audit.starts_on:%b %d}"
    return f"auditing, day {min(day, length)} of {length}"


async def portfolio(
    *, session: AsyncSession, officer_id: str, filters: Filters, now: datetime
) -> tuple[list[ClinicRow], list[str]]:
    """The officer's clinics as rows (filtered, most in need first; no sparklines) and every specialty
    for the filter."""
    inputs = await needs.read_inputs(session, officer_id, now=now)
    facts = await _read_facts(session, reads.officer_clinic_ids(officer_id), inputs)
    decided = needs.decide(inputs, now=now)
    built = (_clinic_row(clinic, facts, decided, now=now) for clinic in inputs.clinics.values())
    rows = [row for row in built if _matches(row, filters)]
    rows.sort(key=lambda row: (-row.attention_score, row.name.lower()))
    return rows, sorted({clinic.specialty for clinic in inputs.clinics.values() if clinic.specialty})


async def with_sparklines(session: AsyncSession, rows: list[ClinicRow]) -> list[ClinicRow]:
    """These rows with their KPI's recent weeks for the sparkline: read for the page shown only."""
    series = await reads.recent_weeks(session, [row.id for row in rows if row.kpi is not None])
    for row in rows:
        if row.kpi is not None:
            row.kpi.points = [
                (point[0], point[1]) for point in series.get(row.id.hex, {}).get(row.kpi.name, [])
            ]
    return rows


@dataclass
class _Facts:
    """What the portfolio reads of the officer's clinics besides the needs' inputs, each by clinic id
    (KPI weeks by its 32 hex digits, as stored)."""

    inputs: needs.Inputs
    assessments: dict[UUID, Any]
    open_audits: dict[UUID, Any]
    initiatives: dict[UUID, list[Any]]
    open_alerts: Counter[UUID]
    latest: dict[str, dict[str, Point | None]]


async def _read_facts(session: AsyncSession, ids: Any, inputs: needs.Inputs) -> _Facts:
    """A handful of column queries over all the clinics at once, none per clinic."""
    initiatives: dict[UUID, list[Any]] = defaultdict(list)
    for initiative in await reads.column_rows(
        session,
        sa_select(
            col(PortalInitiative.id),
            col(PortalInitiative.clinic_id),
            col(PortalInitiative.status),
            col(PortalInitiative.kpi),
            col(PortalInitiative.baseline_end),
        ).where(col(PortalInitiative.clinic_id).in_(ids)),
    ):
        initiatives[initiative.clinic_id].append(initiative)
    assessment_columns = (col(PortalAssessment.level), col(PortalAssessment.overall_score))
    return _Facts(
        inputs=inputs,
        assessments=await _by_clinic(session, PortalAssessment, ids, *assessment_columns),
        # The open window before the finished audit (each SELECT is its own SQLite snapshot): an
        # audit completing between the two reads shows as both for a moment, never as neither.
        open_audits=await _by_clinic(
            session, PortalOpenAudit, ids, col(PortalOpenAudit.starts_on), col(PortalOpenAudit.ends_on)
        ),
        initiatives=initiatives,
        open_alerts=Counter(alert.clinic_id for alert in inputs.alerts),
        latest=await reads.latest_weeks(session, ids),
    )


async def _by_clinic(session: AsyncSession, table: Any, ids: Any, *columns: Any) -> dict[UUID, Any]:
    """One row per clinic of a table keyed by clinic id: these columns, by clinic id."""
    clinic_id = col(table.clinic_id)
    statement = sa_select(clinic_id, *columns).where(clinic_id.in_(ids))
    return {row.clinic_id: row for row in await reads.column_rows(session, statement)}


def _clinic_row(clinic: Any, facts: _Facts, decided: needs.Needs, *, now: datetime) -> ClinicRow:
    """One clinic's row: where it is, its gate, KPI, adoption and feed; what it needs is `needs`'."""
    inputs = facts.inputs
    clinic_id, name, specialty, time_zone = clinic.id, clinic.name, clinic.specialty, clinic.time_zone
    hex_id = clinic_id.hex
    clinic_needs = decided.of(clinic_id)
    open_audit = facts.open_audits.get(clinic_id)
    plan = inputs.plans.get(clinic_id)
    gate_notices = inputs.gate_notices.get(plan.id, []) if plan is not None else []
    gate = rules.gate_of(plan.phase if plan else None, gate_notices, now=now)
    initiatives = facts.initiatives.get(clinic_id, [])
    stage, stage_label = _stage(
        plan,
        has_assessment=clinic_id in facts.assessments,
        has_audit=clinic_id in inputs.audits,
        open_audit=open_audit,
        has_initiative=bool(initiatives),
        due=rules.decision_due(gate_notices),
        now=now,
        zone=ZoneInfo(time_zone) if open_audit is not None else UTC,
    )
    kpi = _clinic_kpi(plan, initiatives, facts.latest.get(hex_id, {}))
    activity = inputs.activities.get(hex_id)
    feed = decided.feeds.get(clinic_id) or feed_of(activity, zone=ZoneInfo(time_zone), now=now)
    adoption, adoption_change = "unknown", None
    per_person = activity is not None and activity.per_person
    kpi_per_person = per_person and kpi is not None and kpi.name in rules.ADOPTION_KPIS
    if kpi is not None and kpi_per_person:
        kpi = KpiSummary(kpi.name, None, None, None, None, "grey", 0, None)  # no figure, no sparkline
    if per_person:
        adoption = "per_person"  # one or two people's use: its trend says who stopped
    elif needs.adoption_judged(feed):
        adoption, adoption_change = rules.adoption_trend(activity.adoption_values() if activity else [])
    assessment = facts.assessments.get(clinic_id)
    return ClinicRow(
        id=clinic_id,
        name=name,
        specialty=specialty,
        zone=time_zone,
        readiness_level=assessment.level if assessment else None,
        readiness_score=assessment.overall_score if assessment else None,
        readiness_colour=rules.readiness_colour(assessment.level if assessment else None),
        stage=stage,
        stage_label=stage_label,
        plan_id=plan.id if plan else None,
        gate=gate,
        kpi=kpi,
        adoption=adoption,
        adoption_change_pct=adoption_change,
        open_alerts=facts.open_alerts[clinic_id],
        feed=feed,
        attention_score=needs.score(clinic_needs),
        reasons=[need.reason for need in clinic_needs],
        kpi_per_person=kpi_per_person,
    )


def _clinic_kpi(plan: Any, initiatives: list[Any], latest: dict[str, Point | None]) -> KpiSummary | None:
    """The clinic's primary KPI against its baseline and target, if it measures one (from its newest
    week with a value; the sparkline's weeks come later, for the page shown)."""
    plans_initiative = _plans_initiative(plan, initiatives)
    name = _primary_kpi(plans_initiative, initiatives, latest)
    if not name:
        return None
    baseline_end = plans_initiative.baseline_end if plans_initiative is not None else None
    return _kpi_summary(name, latest.get(name), plan.phase if plan else None, baseline_end)


def _matches(row: ClinicRow, filters: Filters) -> bool:
    if filters.specialty and row.specialty != filters.specialty:
        return False
    if filters.stage and row.stage != filters.stage:
        return False
    if filters.needs_attention and row.attention_score == 0:
        return False
    return not (filters.q and filters.q.lower() not in row.name.lower())


def _plans_initiative(plan: Any, initiatives: list[Any]) -> Any:
    """The initiative the clinic's plan carries out, if it has a plan."""
    if plan is None:
        return None
    wanted = plan.initiative_id
    for initiative in initiatives:  # a plain loop: a generator per clinic cost more than the search
        if initiative.id == wanted:
            return initiative
    return None


def _primary_kpi(plans_initiative: Any, initiatives: list[Any], series: dict[str, Any]) -> str | None:
    if plans_initiative is not None and plans_initiative.kpi:
        return str(plans_initiative.kpi)
    approved = [
        initiative for initiative in initiatives if initiative.status != "proposed" and initiative.kpi
    ]
    if approved:
        return str(approved[-1].kpi)
    measured = [name for name in series if name not in rules.ADOPTION_KPIS]
    return measured[0] if measured else None


def _kpi_summary(name: str, latest: Point | None, phase: str | None, baseline_end: date | None) -> KpiSummary:
    """A KPI's summary from its newest week with a value (None: not measured yet)."""
    if latest is None:
        return KpiSummary(name, None, None, None, None, "grey", 0, None)
    week, value, sample, baseline, target, progress = latest
    change = (value - baseline) / baseline * 100 if value is not None and baseline else None
    return KpiSummary(
        name=name,
        value=value,
        baseline=baseline,
        target=target,
        progress=progress,
        colour=rules.kpi_colour(progress, phase, baseline_week=rules.is_baseline_week(week, baseline_end)),
        sample_size=sample,
        change_pct=change,
    )
