"""The portfolio: one row per clinic of an officer, most in need of attention first.

Read with a handful of column queries over the officer's clinics (no ORM objects for the
KPI weeks: an officer with 1,000 clinics has tens of thousands of them).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages import rules
from services.portal.pages.activity import load_activity
from services.portal.read_model.models import (
    PortalAlert,
    PortalAssessment,
    PortalAudit,
    PortalClinic,
    PortalInitiative,
    PortalKpiSeries,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
)
from services.portal.read_model.times import aware
from shared.events.roadmap import FINAL_PHASES, PLAN_PHASES

SPARK_WEEKS = 12
# One week of a clinic KPI as the read model keeps it: [week, value, sample, baseline, target, progress].
Point = list[Any]
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


@dataclass
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
    """The officer's clinics as rows (filtered, most in need first) and every specialty for the filter."""
    # Plain column rows, not ORM objects: a thousand clinics make thousands of them per page.
    clinics = await _rows(
        session,
        sa_select(
            col(PortalClinic.id),
            col(PortalClinic.name),
            col(PortalClinic.specialty),
            col(PortalClinic.time_zone),
        ).where(col(PortalClinic.officer_id) == officer_id, col(PortalClinic.archived).is_(False)),
    )
    specialties = sorted({clinic.specialty for clinic in clinics if clinic.specialty})
    ids = select(PortalClinic.id).where(PortalClinic.officer_id == officer_id)
    assessments = {
        row.clinic_id: row
        for row in await _rows(
            session,
            sa_select(
                col(PortalAssessment.clinic_id),
                col(PortalAssessment.level),
                col(PortalAssessment.overall_score),
            ).where(col(PortalAssessment.clinic_id).in_(ids)),
        )
    }
    audits = {
        row.clinic_id: row
        for row in await _rows(
            session,
            sa_select(
                col(PortalAudit.clinic_id),
                col(PortalAudit.low_confidence),
                col(PortalAudit.staff_logged),
                col(PortalAudit.staff_expected),
            ).where(col(PortalAudit.clinic_id).in_(ids)),
        )
    }
    initiatives: dict[UUID, list[Any]] = defaultdict(list)
    for initiative in await _rows(
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
    open_audits = {
        row.clinic_id: row
        for row in await _rows(
            session,
            sa_select(
                col(PortalOpenAudit.clinic_id), col(PortalOpenAudit.starts_on), col(PortalOpenAudit.ends_on)
            ).where(col(PortalOpenAudit.clinic_id).in_(ids)),
        )
    }
    plans: dict[UUID, Any] = {}
    for candidate in await _rows(
        session,
        sa_select(
            col(PortalPlan.id),
            col(PortalPlan.clinic_id),
            col(PortalPlan.initiative_id),
            col(PortalPlan.phase),
            col(PortalPlan.phase_since),
            col(PortalPlan.started_at),
            col(PortalPlan.phase_planned_days),
        )
        .where(col(PortalPlan.clinic_id).in_(ids))
        .order_by(col(PortalPlan.started_at)),
    ):
        current = plans.get(candidate.clinic_id)
        # The plan in flight wins over finished ones; among equals, the latest started.
        if current is None or not (current.phase not in FINAL_PHASES and candidate.phase in FINAL_PHASES):
            plans[candidate.clinic_id] = candidate
    notices: dict[str, list[PortalNotice]] = defaultdict(list)
    escalations: dict[UUID, int] = defaultdict(int)
    for notice in (
        await session.exec(
            select(PortalNotice).where(
                col(PortalNotice.clinic_id).in_(ids), col(PortalNotice.raised_at) >= now - rules.OPEN_FOR * 4
            )
        )
    ).all():
        notices[notice.plan_id].append(notice)
        if notice.kind == "adoption_escalation" and rules.is_open(notice.raised_at, now):
            escalations[notice.clinic_id] += 1
    open_alerts: dict[UUID, int] = defaultdict(int)
    for clinic_id in (
        await session.exec(
            select(PortalAlert.clinic_id).where(
                col(PortalAlert.clinic_id).in_(ids), col(PortalAlert.raised_at) >= now - rules.OPEN_FOR
            )
        )
    ).all():
        open_alerts[clinic_id] += 1
    weeks = await _recent_weeks(session, ids)
    activities = await load_activity(session, ids)

    rows = []
    for clinic in clinics:
        zone = ZoneInfo(clinic.time_zone)
        plan = plans.get(clinic.id)
        plan_notices = notices.get(plan.id, []) if plan is not None else []
        due = _decision_due(plan, plan_notices)
        overdue = any(
            notice.kind == "decision_overdue"
            and plan is not None
            and aware(notice.raised_at) >= aware(plan.phase_since)
            for notice in plan_notices
        )
        stage, stage_label = _stage(
            plan,
            has_assessment=clinic.id in assessments,
            has_audit=clinic.id in audits,
            open_audit=open_audits.get(clinic.id),
            has_initiative=bool(initiatives.get(clinic.id)),
            due=due,
            now=now,
            zone=zone,
        )
        gate = rules.gate_status(plan.phase if plan else None, due_at=due, overdue_notice=overdue, now=now)
        series = weeks.get(clinic.id.hex, {})
        clinic_initiatives = initiatives.get(clinic.id, [])
        plans_initiative = _plans_initiative(plan, clinic_initiatives)
        kpi_name = _primary_kpi(plans_initiative, clinic_initiatives, series)
        baseline_end = plans_initiative.baseline_end if plans_initiative is not None else None
        kpi = (
            _kpi_summary(kpi_name, series.get(kpi_name, []), plan.phase if plan else None, baseline_end)
            if kpi_name
            else None
        )
        activity = activities.get(clinic.id.hex)
        adoption, adoption_change = rules.adoption_trend(activity.adoption_values() if activity else [])
        # Feed days are the clinic's own (kpi dates events on its calendar): so is "today".
        today = now.astimezone(zone).date()
        feed = activity.feed(today) if activity else rules.feed_health(None, [], today=today)
        audit = audits.get(clinic.id)
        low_coverage = audit is not None and rules.low_coverage(
            low_confidence=audit.low_confidence,
            staff_logged=audit.staff_logged,
            staff_expected=audit.staff_expected,
        )
        score, reasons = rules.attention(
            gate=gate,
            escalations=escalations.get(clinic.id, 0),
            open_alerts=open_alerts.get(clinic.id, 0),
            feed=feed,
            adoption=adoption,
            kpi=kpi.colour if kpi else "grey",
            low_coverage=low_coverage,
        )
        assessment = assessments.get(clinic.id)
        rows.append(
            ClinicRow(
                id=clinic.id,
                name=clinic.name,
                specialty=clinic.specialty,
                zone=clinic.time_zone,
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
                open_alerts=open_alerts.get(clinic.id, 0),
                feed=feed,
                attention_score=score,
                reasons=reasons,
            )
        )
    rows = [row for row in rows if _matches(row, filters)]
    rows.sort(key=lambda row: (-row.attention_score, row.name.lower()))
    return rows, specialties


def _matches(row: ClinicRow, filters: Filters) -> bool:
    if filters.specialty and row.specialty != filters.specialty:
        return False
    if filters.stage and row.stage != filters.stage:
        return False
    if filters.needs_attention and row.attention_score == 0:
        return False
    return not (filters.q and filters.q.lower() not in row.name.lower())


def _decision_due(plan: Any, notices: list[PortalNotice]) -> datetime | None:
    """When the current phase's decision is due, from the newest notice of this phase that says."""
    if plan is None:
        return None
    dues = [
        aware(notice.due_at)
        for notice in notices
        if notice.due_at is not None
        and aware(notice.raised_at) >= aware(plan.phase_since) - timedelta(minutes=1)
    ]
    return max(dues, default=None)


def _plans_initiative(plan: Any, initiatives: list[Any]) -> Any:
    """The initiative the clinic's plan carries out, if it has a plan."""
    if plan is None:
        return None
    return next((initiative for initiative in initiatives if initiative.id == plan.initiative_id), None)


def _primary_kpi(plans_initiative: Any, initiatives: list[Any], series: dict[str, list[Any]]) -> str | None:
    if plans_initiative is not None and plans_initiative.kpi:
        return str(plans_initiative.kpi)
    approved = [
        initiative for initiative in initiatives if initiative.status != "proposed" and initiative.kpi
    ]
    if approved:
        return str(approved[-1].kpi)
    measured = [name for name in series if name not in rules.ADOPTION_KPIS]
    return measured[0] if measured else None


def _kpi_summary(name: str, points: list[Point], phase: str | None, baseline_end: date | None) -> KpiSummary:
    latest = next((point for point in reversed(points) if point[1] is not None), None)
    if latest is None:
        return KpiSummary(name, None, None, None, None, "grey", 0, None, [(p[0], p[1]) for p in points])
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
        points=[(point[0], point[1]) for point in points],
    )


async def _rows(session: AsyncSession, statement: Any) -> list[Any]:
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


async def _recent_weeks(session: AsyncSession, clinic_ids: Any) -> dict[str, dict[str, list[Point]]]:
    """The recent weeks of every KPI of the officer's clinics, oldest first, by clinic id (hex).

    A point is [week, value, sample size, baseline, target, progress], as PortalKpiSeries keeps it.

    One row per clinic KPI (PortalKpiSeries, kept by the projection), not one per week; the ids
    come back as stored text, since parsing thousands of them into UUIDs costs a good part of the page.
    """
    statement = sa_select(
        type_coerce(col(PortalKpiSeries.clinic_id), String),
        col(PortalKpiSeries.kpi),
        col(PortalKpiSeries.recent),
    ).where(col(PortalKpiSeries.clinic_id).in_(clinic_ids))
    result: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    connection = await session.connection()
    for clinic_id, kpi, recent in await connection.execute(statement):
        # SQLite keeps the 32 hex digits; another database may hand back the dashed form. The
        # points stay as decoded (lists): re-shaping 20,000 of them per page costs more than the query.
        result[str(clinic_id).replace("-", "")][kpi] = recent
    return result
