"""A plan as the officer reads it (recorded phases, notices, the live status), and which running plan
a KPI event is for. Temporal stays outside: the live status comes from starter.py.
"""

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.clinics import among_officer_clinics, get_clinic, normalise_category
from services.roadmap.models import (
    Initiative,
    RoadmapClinic,
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
)
from services.roadmap.plans import money as plan_money
from services.roadmap.plans import phases
from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    AdoptionAlert,
    ClinicianReading,
    KpiReading,
    PlanStatus,
)
from services.roadmap.plans.models import NoticePublic, PlanPublic, TransitionPublic
from shared.calendar import iso_week, stored_calendar
from shared.errors import NotFound
from shared.events.audit import AuditCompleted
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import FINAL_PHASES, IN_FLIGHT_PHASES
from shared.small_groups import NOT_SHOWN_PER_PERSON, shown_per_person


async def plan_in_flight(*, session: AsyncSession, clinic_id: UUID) -> RoadmapPlan | None:
    """The clinic's plan that is still before its sustain phase, if any (one problem first)."""
    statement = select(RoadmapPlan).where(
        RoadmapPlan.clinic_id == clinic_id, col(RoadmapPlan.phase).in_(IN_FLIGHT_PHASES)
    )
    return (await session.exec(statement)).first()


async def list_plans(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> list[RoadmapPlan]:
    await get_clinic(session=session, clinic_id=clinic_id, officer_id=officer_id)
    statement = (
        select(RoadmapPlan).where(RoadmapPlan.clinic_id == clinic_id).order_by(col(RoadmapPlan.started_at))
    )
    return list((await session.exec(statement)).all())


async def get_plan(*, session: AsyncSession, plan_id: str, officer_id: str) -> RoadmapPlan:
    """The officer's plan, or NotFound (also when it is another officer's).

    The path names only the plan: it is looked for among the officer's clinics.
    """
    statement = among_officer_clinics(
        select(RoadmapPlan).where(RoadmapPlan.id == plan_id), col(RoadmapPlan.clinic_id), officer_id
    )
    plan = (await session.exec(statement)).first()
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    return plan


async def describe_plan(
    *, session: AsyncSession, plan: RoadmapPlan, live: dict[str, Any] | None, recent: int = 50
) -> PlanPublic:
    """The plan as the officer sees it: recorded phase history, recent notices, live status."""
    initiative = await session.get(Initiative, (plan.clinic_id, plan.initiative_id))
    transitions = (
        await session.exec(
            select(RoadmapPlanTransition)
            .where(
                RoadmapPlanTransition.clinic_id == plan.clinic_id, RoadmapPlanTransition.plan_id == plan.id
            )
            .order_by(col(RoadmapPlanTransition.seq))
        )
    ).all()
    notices = (
        await session.exec(
            select(RoadmapPlanNotice)
            .where(RoadmapPlanNotice.clinic_id == plan.clinic_id, RoadmapPlanNotice.plan_id == plan.id)
            .order_by(col(RoadmapPlanNotice.created_at).desc())
            .limit(recent)
        )
    ).all()
    return PlanPublic(
        id=plan.id,
        clinic_id=plan.clinic_id,
        initiative_id=plan.initiative_id,
        problem=initiative.problem if initiative else "",
        kpi=initiative.kpi if initiative else "",
        phase=plan.phase,
        started_at=plan.started_at,
        live=without_small_groups(live, pilot_group_size=len(initiative.pilot_group) if initiative else 0),
        review=initiative.review if initiative else {},
        money_at_gates=plan_money.money_at_gates(
            (initiative.review if initiative else {}).get("money"), (live or {}).get("gate_history") or []
        ),
        transitions=[TransitionPublic.model_validate(row, from_attributes=True) for row in transitions],
        notices=[NoticePublic.model_validate(row, from_attributes=True) for row in notices],
    )


def without_small_groups(live: dict[str, Any] | None, *, pilot_group_size: int) -> dict[str, Any] | None:
    """The live status as the officer reads it: per-clinician figures only of groups of MIN_GROUP or more.

    A week's readings of a pilot (or control) group of two are two people's own durations, and "50 %"
    pilot adoption of two people says which one used the tool (shared.small_groups).
    """
    if live is None:
        return None
    view = dict(live)
    for key in ("weeks", "outcome_weeks"):
        view[key] = [_week_shown(week, pilot_group_size) for week in live.get(key) or []]
    return view


def _week_shown(week: dict[str, Any], pilot_group_size: int) -> dict[str, Any]:
    shown = dict(week)
    clinicians = week.get("clinicians") or []
    sizes = Counter(bool(item.get("pilot")) for item in clinicians)  # the pilot and the control group
    kept = [item for item in clinicians if shown_per_person(sizes[bool(item.get("pilot"))])]
    hidden = len(kept) < len(clinicians)
    if pilot_group_size and not shown_per_person(pilot_group_size) and week.get("pilot_adoption") is not None:
        shown["pilot_adoption"], hidden = None, True
    shown["clinicians"] = kept
    if hidden:
        shown["not_shown"] = NOT_SHOWN_PER_PERSON
    return shown


def live_view(status: PlanStatus, *, now: datetime) -> dict[str, Any]:
    """The status query brought up to `now`: a plan waiting on a weekly timer answers as of its last step."""
    view = dataclasses.asdict(status)
    if status.phase in phases.TIMED_PHASES and not status.paused and status.as_of:
        since = max((now - datetime.fromisoformat(status.as_of)).total_seconds(), 0.0)
        active = min(status.active_seconds + since, status.phase_length_days * DAY_SECONDS)
        view["day_in_phase"] = int(active // DAY_SECONDS)
        view["active_seconds"] = active
        view["as_of"] = now.isoformat()
    return view


# --- KPI events -> running plans ------------------------------------------------------------


async def running_plan_for(
    *, session: AsyncSession, clinic_id: UUID, initiative_id: UUID | None
) -> RoadmapPlan | None:
    """The plan a KPI event is about: the initiative's own, else the clinic's unfinished one."""
    statement = select(RoadmapPlan).where(
        RoadmapPlan.clinic_id == clinic_id, col(RoadmapPlan.phase).not_in(FINAL_PHASES)
    )
    if initiative_id is not None:
        statement = statement.where(RoadmapPlan.initiative_id == initiative_id)
    return (await session.exec(statement.order_by(col(RoadmapPlan.started_at).desc()))).first()


def reading_of(event: KpiSnapshot) -> KpiReading:
    return KpiReading(
        kpi=event.kpi,
        week=event.week,
        value=event.value,
        baseline=event.baseline,
        progress=event.progress,
        sample_size=event.sample_size,
        events=event.counts.events if event.counts else None,
        total=event.counts.total if event.counts else None,
        baseline_week=event.baseline_week,
        pilot_adoption=event.pilot_adoption,
        clinicians=[
            ClinicianReading(staff_id=item.staff_id, pilot=item.pilot, events=item.events, total=item.total)
            for item in event.clinicians
        ],
    )


def alert_of(event: KpiAlert) -> AdoptionAlert:
    return AdoptionAlert(
        alert_id=str(event.alert_id), kind=event.kind, kpi=event.kpi, week=event.week, message=event.message
    )


# --- a re-audit -> the admin plan ------------------------------------------------------------

AUDITED_KPI = "task_hours_per_week"  # the admin KPI, measured by a short time audit (AUDITED_KPIS)


def reaudit_reading(event: AuditCompleted, *, problem: str) -> KpiReading | None:
    """A re-audit's hours a week on the plan's problem, as one week of the admin KPI (None: not logged).

    The week is the audit window's first; its hours are the week's value, over one week like a count.
    """
    wanted = normalise_category(problem)
    hours = next(
        (item.hours_per_week for item in event.candidates if normalise_category(item.category) == wanted),
        None,
    )
    if hours is None:
        return None
    return KpiReading(
        kpi=AUDITED_KPI,
        week=iso_week(event.window_start),
        value=hours,
        sample_size=event.staff_logged or 0,
        events=hours,
        total=1.0,
    )


async def reaudit_for_plan(*, session: AsyncSession, event: AuditCompleted) -> tuple[str, KpiReading] | None:
    """The running admin plan a completed audit re-measures, and the week it gives (None: no such plan).

    Only an audit whose window began after the approval re-measures it: the first audit is its baseline.
    """
    plan = await running_plan_for(session=session, clinic_id=event.clinic_id, initiative_id=None)
    if plan is None:
        return None
    initiative = await session.get(Initiative, (plan.clinic_id, plan.initiative_id))
    if initiative is None or initiative.kpi != AUDITED_KPI:
        return None
    # The audit's window is in the clinic's days: so is the day the plan began.
    calendar = await stored_calendar(session, RoadmapClinic, plan.clinic_id)
    if event.window_start < calendar.day_of(plan.started_at):
        return None
    reading = reaudit_reading(event, problem=initiative.problem)
    return (plan.id, reading) if reading is not None else None
