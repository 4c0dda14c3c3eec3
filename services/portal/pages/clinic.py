"""One clinic's story from the read model: readiness, audit, initiatives, plan timeline, KPIs, alerts.

Every lookup is scoped to the signed-in officer: another officer's clinic is NotFound, exactly
like one that does not exist.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer import staff
from services.portal.officer.staff import PortalStaff
from services.portal.officer.tenancy import owned_clinic
from services.portal.pages import rules
from services.portal.pages.activity import Activity, adoption_measure, adoption_values
from services.portal.pages.buy_in import BuyInSummary, buy_in_of_plans
from services.portal.pages.needs import Need
from services.portal.pages.needs import needs as needs_of
from services.portal.read_model.models import (
    PortalAlert,
    PortalAssessment,
    PortalAudit,
    PortalClinic,
    PortalClinicActivity,
    PortalInitiative,
    PortalKpiWeek,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
    PortalPlanTransition,
)
from services.portal.read_model.times import aware

# Phases drawn as bands on the KPI charts.
BANDED_PHASES = ("pilot", "evaluation", "rollout")


@dataclass
class PlanView:
    plan: PortalPlan
    transitions: list[PortalPlanTransition]
    notices: list[PortalNotice]
    next_step: str


@dataclass(frozen=True)
class FeedRow:
    feed: str
    last_event_day: str | None
    events_last_7_days: int
    quiet: bool


@dataclass
class ClinicStory:
    clinic: PortalClinic
    assessment: PortalAssessment | None
    audit: PortalAudit | None
    initiatives: list[PortalInitiative]
    plans: list[PlanView]
    kpi_charts: list[dict[str, Any]]
    alerts: list[PortalAlert]
    readiness_chart: dict[str, Any] | None
    audit_chart: dict[str, Any] | None
    buy_in: dict[str, BuyInSummary] = field(default_factory=dict)  # per plan id
    open_audit: PortalOpenAudit | None = None
    feeds: list[FeedRow] = field(default_factory=list)
    feed: rules.FeedHealth | None = None
    adoption_chart: dict[str, Any] | None = None
    adoption_per_person: bool = False  # one or two people's use: no chart (shared.small_groups)
    needs: list[Need] = field(default_factory=list)  # the same list as Today's and the portfolio's
    people: list[PortalStaff] = field(default_factory=list)  # the active roster: owners and pilots
    names: dict[str, str] = field(default_factory=dict)  # pseudonym (lower case) -> the officer's name


NEXT_STEP = {
    "baseline": "measure the KPI before anything changes; preparation follows",
    "preparation": "tell the staff, train the pilot group, run the buy-in survey; the pilot follows",
    "pilot": "the pilot group uses the tool; the evaluation gate follows",
    "evaluation": "decide at the gate: continue to rollout, extend the pilot once, or stop",
    "rollout": "every staff member gets the tool; sustain follows",
    "sustain": "watch adoption for months; the plan then suggests the next initiative",
    "done": "approve the next initiative",
    "stopped": "approve another initiative, or revisit the audit",
}


async def clinic_story(
    *, session: AsyncSession, clinic_id: UUID, officer_id: str, now: datetime, pseudonym_secret: str
) -> ClinicStory:
    clinic = await owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer_id)
    assessment = await session.get(PortalAssessment, clinic_id)
    # The open window before the finished audit: SQLite reads each SELECT in its own snapshot, and
    # a completion that lands between the two reads must not show neither (it may show both).
    open_audit = await session.get(PortalOpenAudit, clinic_id)
    audit = await session.get(PortalAudit, clinic_id)
    initiatives = list(
        (
            await session.exec(
                select(PortalInitiative)
                .where(PortalInitiative.clinic_id == clinic_id)
                .order_by(col(PortalInitiative.rank))
            )
        ).all()
    )
    # The approved (or running) initiative first, then the proposals by rank.
    initiatives.sort(key=lambda initiative: initiative.status == "proposed")
    plans = list(
        (
            await session.exec(
                select(PortalPlan)
                .where(PortalPlan.clinic_id == clinic_id)
                .order_by(col(PortalPlan.started_at))
            )
        ).all()
    )
    plan_ids = [plan.id for plan in plans]
    transitions: dict[str, list[PortalPlanTransition]] = defaultdict(list)
    for transition in (
        await session.exec(
            select(PortalPlanTransition)
            .where(
                PortalPlanTransition.clinic_id == clinic_id, col(PortalPlanTransition.plan_id).in_(plan_ids)
            )
            .order_by(col(PortalPlanTransition.changed_at))
        )
    ).all():
        transitions[transition.plan_id].append(transition)
    notices: dict[str, list[PortalNotice]] = defaultdict(list)
    for notice in (
        await session.exec(
            select(PortalNotice)
            .where(PortalNotice.clinic_id == clinic_id)
            .order_by(col(PortalNotice.raised_at).desc())
        )
    ).all():
        notices[notice.plan_id].append(notice)
    alerts = list(
        (
            await session.exec(
                select(PortalAlert)
                .where(PortalAlert.clinic_id == clinic_id)
                .order_by(col(PortalAlert.raised_at).desc())
            )
        ).all()
    )
    weeks = (
        await session.exec(
            select(PortalKpiWeek)
            .where(PortalKpiWeek.clinic_id == clinic_id)
            .order_by(col(PortalKpiWeek.week))
        )
    ).all()
    all_transitions = [item for plan_id in plan_ids for item in transitions[plan_id]]
    row = await session.get(PortalClinicActivity, clinic_id)
    activity = Activity(row.last_event_day, row.feeds, row.adoption) if row else None
    per_person = activity is not None and activity.per_person
    return ClinicStory(
        clinic=clinic,
        assessment=assessment,
        audit=audit,
        initiatives=initiatives,
        plans=[
            PlanView(plan, transitions[plan.id], notices[plan.id], NEXT_STEP.get(plan.phase, ""))
            for plan in reversed(plans)
        ],
        kpi_charts=[
            chart
            for chart in kpi_charts(list(weeks), all_transitions, now=now)
            if not (per_person and chart["kpi"] in rules.ADOPTION_KPIS)  # one or two people's use
        ],
        alerts=alerts,
        readiness_chart=readiness_chart(assessment),
        audit_chart=audit_chart(audit),
        buy_in=await buy_in_of_plans(session, plan_ids),
        open_audit=open_audit,
        feeds=[FeedRow(*feed) for feed in activity.feeds] if activity else [],
        # Feed days are the clinic's own (kpi dates events on its calendar): so is "today".
        feed=activity.feed(clinic.calendar().day_of(now)) if activity else None,
        adoption_chart=adoption_chart(activity.adoption, all_transitions, now=now)
        if activity and not per_person
        else None,
        adoption_per_person=per_person,
        needs=(await needs_of(session, officer_id, now=now, clinic_ids=[clinic_id])).of(clinic_id),
        people=await staff.roster(session, clinic_id, active_only=True),
        names=await staff.names_of(session, clinic_id, secret=pseudonym_secret),
    )


def adoption_chart(
    weeks: list[list[Any]], transitions: list[PortalPlanTransition], *, now: datetime
) -> dict[str, Any] | None:
    """AI use week by week (the share of notes written with AI, or staff using an AI tool)."""
    values = adoption_values(weeks)
    if not any(value is not None for value in values):
        return None
    share = adoption_measure(weeks) == "note_share"
    return {
        "kind": "kpi",
        "kpi": "adoption",
        "title": "AI-assisted share of signed notes (%)" if share else "Staff using an AI tool",
        "x": [_unix(rules.iso_week_start(week[0])) for week in weeks],
        "weeks": [week[0] for week in weeks],
        "value": [round(value * 100, 1) if share and value is not None else value for value in values],
        "baseline": [None] * len(weeks),
        "target": [None] * len(weeks),
        "sample": [week[1] if share else week[3] for week in weeks],
        "bands": phase_bands(transitions, now=now),
    }


def readiness_chart(assessment: PortalAssessment | None) -> dict[str, Any] | None:
    if assessment is None or not assessment.dimension_scores:
        return None
    names = list(assessment.dimension_scores)
    return {
        "kind": "bars",
        "title": "Readiness by dimension (0-100)",
        "labels": [name.replace("_", " ") for name in names],
        "series": [
            {"label": "score", "values": [round(assessment.dimension_scores[name], 1) for name in names]}
        ],
    }


def audit_chart(audit: PortalAudit | None) -> dict[str, Any] | None:
    if audit is None or not audit.candidates:
        return None
    candidates = audit.candidates[:8]
    return {
        "kind": "bars",
        "title": "Hours and cost per week by category",
        "labels": [str(candidate.get("category", "")).replace("_", " ") for candidate in candidates],
        "series": [
            {
                "label": "hours / week",
                "values": [round(float(c.get("hours_per_week", 0)), 1) for c in candidates],
            },
            {
                "label": "cost / week ($)",
                "values": [round(float(c.get("cost_per_week", 0)), 0) for c in candidates],
                "axis": "right",
            },
        ],
    }


def kpi_charts(
    weeks: list[PortalKpiWeek], transitions: list[PortalPlanTransition], *, now: datetime
) -> list[dict[str, Any]]:
    """One weekly chart per KPI: value, baseline and target lines, pilot/rollout bands (unix seconds)."""
    by_kpi: dict[str, list[PortalKpiWeek]] = defaultdict(list)
    for week in weeks:
        by_kpi[week.kpi].append(week)
    bands = phase_bands(transitions, now=now)
    charts = []
    for name, points in by_kpi.items():
        xs = [_unix(rules.iso_week_start(point.week)) for point in points]
        charts.append(
            {
                "kind": "kpi",
                "kpi": name,
                "title": name.replace("_", " ").capitalize(),
                "x": xs,
                "weeks": [point.week for point in points],
                "value": [point.value for point in points],
                "baseline": [point.baseline for point in points],
                "target": [point.target for point in points],
                "sample": [point.sample_size for point in points],
                "bands": bands,
            }
        )
    return charts


def phase_bands(transitions: list[PortalPlanTransition], *, now: datetime) -> list[dict[str, Any]]:
    """Spans of time a plan spent in a banded phase, from its recorded transitions."""
    ordered = sorted(transitions, key=lambda item: aware(item.changed_at))
    bands = []
    for index, transition in enumerate(ordered):
        if transition.phase not in BANDED_PHASES:
            continue
        end = aware(ordered[index + 1].changed_at) if index + 1 < len(ordered) else now
        bands.append(
            {
                "phase": transition.phase,
                "from": aware(transition.changed_at).timestamp(),
                "to": end.timestamp(),
            }
        )
    return bands


def _unix(day: Any) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
