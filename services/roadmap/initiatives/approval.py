"""Roadmap's domain logic for the officer: initiatives, approval, plans, KPI events to plans.

Keyword-only functions; the HTTP routes and Kafka handlers are thin adapters around them.
What roadmap learns of clinics and proposes is in proposals.py; the method's rules themselves
(ranking, the five questions, the gate) are pure functions in rules.py, shared with the plan
workflow. Temporal stays outside: the approval is handed `start_plan` (starter.py).
"""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.initiatives import approval_review, rules
from services.roadmap.initiatives.proposals import SOURCE
from services.roadmap.models import (
    ApprovalIn,
    Initiative,
    InitiativeList,
    InitiativePublic,
    NoticePublic,
    PlanPublic,
    RoadmapAssessment,
    RoadmapAudit,
    RoadmapClinic,
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
    TransitionPublic,
)
from services.roadmap.plans import money as plan_money
from services.roadmap.plans.contracts import (
    DAY_SECONDS,
    AdoptionAlert,
    KpiReading,
    PlanInput,
    PlanStatus,
    plan_workflow_id,
)
from shared import clock
from shared.calendar import UTC_CALENDAR, ClinicCalendar
from shared.errors import Conflict, NotFound, Refused
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.roadmap import FINAL_PHASES, IN_FLIGHT_PHASES, InitiativeApproved
from shared.outbox import add_to_outbox

# Starts an approved initiative's plan (the starter's start_plan, bound to a Temporal client).
StartPlan = Callable[[PlanInput], Awaitable[None]]


# --- officer-facing reads ---------------------------------------------------------------------


async def get_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> RoadmapClinic:
    """The officer's clinic, or NotFound (also when it is another officer's)."""
    clinic = await session.get(RoadmapClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} not found")
    return clinic


async def list_initiatives(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> InitiativeList:
    """The clinic's initiatives (proposed ones ranked, then the approved history)."""
    await get_clinic(session=session, clinic_id=clinic_id, officer_id=officer_id)
    rows = list(
        (
            await session.exec(
                select(Initiative).where(Initiative.clinic_id == clinic_id).order_by(col(Initiative.rank))
            )
        ).all()
    )
    rows.sort(key=lambda row: (row.status != "proposed", row.rank))
    waiting_for = []
    if await session.get(RoadmapAssessment, clinic_id) is None:
        waiting_for.append("assessment: complete the AI Readiness Assessment at intake")
    if await session.get(RoadmapAudit, clinic_id) is None:
        waiting_for.append("audit: run the one-week task audit")
    recommended = next((row for row in rows if row.recommended and row.status == "proposed"), None)
    return InitiativeList(
        clinic_id=clinic_id,
        waiting_for=waiting_for,
        recommended_id=recommended.id if recommended else None,
        recommendation=recommended.reason if recommended else "",
        initiatives=[InitiativePublic.model_validate(row, from_attributes=True) for row in rows],
    )


async def _officer_owns(session: AsyncSession, clinic_id: UUID, officer_id: str) -> bool:
    clinic = await session.get(RoadmapClinic, clinic_id)
    return clinic is not None and clinic.officer_id == officer_id


async def get_initiative(*, session: AsyncSession, initiative_id: UUID, officer_id: str) -> Initiative:
    """The officer's initiative, or NotFound (also when it is another officer's)."""
    initiative = await session.get(Initiative, initiative_id)
    if initiative is None or not await _officer_owns(session, initiative.clinic_id, officer_id):
        raise NotFound(f"initiative {initiative_id} not found")
    return initiative


# --- approval -------------------------------------------------------------------------------


async def plan_in_flight(*, session: AsyncSession, clinic_id: UUID) -> RoadmapPlan | None:
    """The clinic's plan that is still before its sustain phase, if any (one problem first)."""
    statement = select(RoadmapPlan).where(
        RoadmapPlan.clinic_id == clinic_id, col(RoadmapPlan.phase).in_(IN_FLIGHT_PHASES)
    )
    return (await session.exec(statement)).first()


def plan_input_for(
    initiative: Initiative, approval: ApprovalIn, plan_id: str, *, officer_id: str = "", clinic_name: str = ""
) -> PlanInput:
    days = approval.phase_days.model_dump()
    return PlanInput(
        plan_id=plan_id,
        clinic_id=str(initiative.clinic_id),
        initiative_id=str(initiative.id),
        kpi=initiative.kpi,
        target_change_pct=approval.target_change_pct,
        phase_seconds={phase: float(value) * DAY_SECONDS for phase, value in days.items()},
        checkin_seconds=approval.checkin_days * DAY_SECONDS,
        # The officer gets as long to decide at the gate as between two check-ins, a week by default.
        decision_timeout_seconds=approval.checkin_days * DAY_SECONDS,
        pilot_extension_seconds=days["pilot"] / 2 * DAY_SECONDS,
        baseline_value=approval.baseline.value if approval.baseline else None,
        baseline_weekly_volume=approval.baseline.weekly_volume if approval.baseline else None,
        baseline_source=approval.baseline.source if approval.baseline else "",
        no_baseline_reason=approval.no_baseline_reason.strip(),
        officer_id=officer_id,
        clinic_name=clinic_name,
        clock_offset_seconds=clock.offset_seconds(),
    )


async def clinic_calendar(session: AsyncSession, clinic_id: UUID) -> ClinicCalendar:
    clinic = await session.get(RoadmapClinic, clinic_id)
    return clinic.calendar() if clinic is not None else UTC_CALENDAR


def baseline_window(approval: ApprovalIn, *, calendar: ClinicCalendar, now: datetime) -> tuple[date, date]:
    """The baseline's first and last day, in the clinic's own dates.

    From history: the last whole weeks already in the feed (Monday to Sunday, as kpi counts them),
    never the week under way. Otherwise measured during the baseline phase, from today.
    """
    today = calendar.day_of(now)
    if approval.baseline_from_history_weeks is not None:
        last_sunday = today - timedelta(days=today.isoweekday())
        return last_sunday - timedelta(weeks=approval.baseline_from_history_weeks, days=-1), last_sunday
    return today, calendar.day_of(now + timedelta(days=approval.phase_days.baseline))


async def approve_initiative(
    *,
    session: AsyncSession,
    initiative_id: UUID,
    officer_id: str,
    approval: ApprovalIn,
    start_plan: StartPlan,
) -> Initiative:
    """Approve one initiative and start its plan (committed once started).

    Conflict while another plan of the clinic is before sustain (one problem first) or when it
    is approved already; Refused while one of the five questions has no answer.
    """
    initiative = await get_initiative(session=session, initiative_id=initiative_id, officer_id=officer_id)
    if initiative.status != "proposed":
        raise Conflict(
            f"initiative {initiative_id} is already {initiative.status} (plan {initiative.plan_id})"
        )
    running = await plan_in_flight(session=session, clinic_id=initiative.clinic_id)
    if running is not None:
        raise Conflict(
            f"one problem first: plan {running.id} of this clinic is in its {running.phase} phase; "
            "approve the next initiative once it reaches sustain"
        )
    unanswered = rules.unanswered_questions(
        problem=initiative.problem,
        cost_per_week=initiative.cost_per_week,
        owner=approval.owner,
        kpi=initiative.kpi,
        target_change_pct=approval.target_change_pct,
        integrates=initiative.integrates,
    )
    if unanswered:
        raise Refused("the five questions are not all answered: " + "; ".join(unanswered))
    review, refusals = approval_review.review_approval(
        await _approval_facts(session, initiative), _approval_choices(approval)
    )
    if refusals:
        raise Refused("; ".join(refusals))

    now = clock.now()
    # Read before the plan row is added: an autoflush here would raise another approval's conflict early.
    calendar = await clinic_calendar(session, initiative.clinic_id)
    plan_id = plan_workflow_id(initiative.id)
    initiative.status = "approved"
    initiative.owner = approval.owner
    initiative.target_change_pct = approval.target_change_pct
    initiative.pilot_group = list(approval.pilot_group)
    initiative.phase_days = approval.phase_days.model_dump()
    initiative.plan_id = plan_id
    initiative.approved_at = now
    initiative.review = review.as_dict()
    session.add(initiative)
    session.add(
        RoadmapPlan(
            id=plan_id,
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            phase="baseline",
            started_at=now,
        )
    )
    baseline_start, baseline_end = baseline_window(approval, calendar=calendar, now=now)
    add_to_outbox(
        session,
        InitiativeApproved(
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            problem=initiative.problem,
            owner=approval.owner,
            kpi=initiative.kpi,  # proposals only use KpiName values
            baseline_start=baseline_start,
            baseline_end=baseline_end,
            target_change_pct=approval.target_change_pct,
            pilot_group=list(approval.pilot_group),
            approved_at=now,
            plan_id=plan_id,
            baseline_value=approval.baseline.value if approval.baseline else None,
            baseline_source=approval.baseline.source if approval.baseline else "partner_feed",
            baseline_weekly_volume=approval.baseline.weekly_volume if approval.baseline else None,
        ),
        source=SOURCE,
        subject=str(initiative.clinic_id),
    )
    try:
        await session.flush()
    except IntegrityError as error:
        # Another approval of this clinic (or of this very initiative) got there first.
        await session.rollback()
        raise Conflict(
            "one problem first: another initiative of this clinic was approved at the same moment; "
            "reload the clinic's plans"
        ) from error
    # Started inside the transaction: if the start fails nothing is committed and the officer
    # may retry; a repeated start finds the workflow already there (same id).
    clinic = await session.get(RoadmapClinic, initiative.clinic_id)
    await start_plan(
        plan_input_for(
            initiative, approval, plan_id, officer_id=officer_id, clinic_name=clinic.name if clinic else ""
        )
    )
    await session.commit()
    return initiative


async def _approval_facts(session: AsyncSession, initiative: Initiative) -> approval_review.ApprovalFacts:
    assessment = await session.get(RoadmapAssessment, initiative.clinic_id)
    audit = await session.get(RoadmapAudit, initiative.clinic_id)
    audit_hours = None
    if audit is not None:
        problem = rules.normalise_category(initiative.problem)
        audit_hours = next(
            (
                float(candidate.get("hours_per_week", 0.0))
                for candidate in audit.candidates
                if rules.normalise_category(str(candidate.get("category", ""))) == problem
            ),
            None,
        )
    return approval_review.ApprovalFacts(
        kpi=initiative.kpi,
        problem=initiative.problem,
        solution=initiative.solution,
        hours_per_week=initiative.hours_per_week,
        cost_per_week=initiative.cost_per_week,
        dollars_saved_per_week=initiative.impact_per_week,
        dimension_scores=dict(assessment.dimension_scores) if assessment is not None else None,
        audit_low_confidence=audit.low_confidence if audit is not None else False,
        audit_hours_per_week=audit_hours,
    )


def _approval_choices(approval: ApprovalIn) -> approval_review.ApprovalChoices:
    entered = approval.baseline
    baseline = approval_review.Baseline(
        source=entered.source if entered else None,
        value=entered.value if entered else None,
        weekly_volume=entered.weekly_volume if entered else None,
        entered_by_hand=entered is not None,
        note=entered.note if entered else "",
    )
    cost = approval.tool_cost
    return approval_review.ApprovalChoices(
        target_change_pct=approval.target_change_pct,
        baseline_days=approval.baseline_days,
        pilot_days=approval.phase_days.pilot,
        baseline=baseline,
        no_baseline_reason=approval.no_baseline_reason,
        compliance_exception=approval.compliance_exception,
        tool_cost=approval_review.ToolCost(**cost.model_dump()) if cost is not None else None,
        average_visit_value=approval.average_visit_value,
        booking_share=approval.booking_share,
    )


# --- plans ----------------------------------------------------------------------------------


async def list_plans(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> list[RoadmapPlan]:
    await get_clinic(session=session, clinic_id=clinic_id, officer_id=officer_id)
    statement = (
        select(RoadmapPlan).where(RoadmapPlan.clinic_id == clinic_id).order_by(col(RoadmapPlan.started_at))
    )
    return list((await session.exec(statement)).all())


async def get_plan(*, session: AsyncSession, plan_id: str, officer_id: str) -> RoadmapPlan:
    """The officer's plan, or NotFound (also when it is another officer's)."""
    plan = await session.get(RoadmapPlan, plan_id)
    if plan is None or not await _officer_owns(session, plan.clinic_id, officer_id):
        raise NotFound(f"plan {plan_id} not found")
    return plan


async def describe_plan(
    *, session: AsyncSession, plan: RoadmapPlan, live: dict[str, Any] | None, recent: int = 50
) -> PlanPublic:
    """The plan as the officer sees it: recorded phase history, recent notices, live status."""
    initiative = await session.get(Initiative, plan.initiative_id)
    transitions = (
        await session.exec(
            select(RoadmapPlanTransition)
            .where(RoadmapPlanTransition.plan_id == plan.id)
            .order_by(col(RoadmapPlanTransition.seq))
        )
    ).all()
    notices = (
        await session.exec(
            select(RoadmapPlanNotice)
            .where(RoadmapPlanNotice.plan_id == plan.id)
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
        live=live,
        review=initiative.review if initiative else {},
        money_at_gates=plan_money.money_at_gates(
            (initiative.review if initiative else {}).get("money"), (live or {}).get("gate_history") or []
        ),
        transitions=[TransitionPublic.model_validate(row, from_attributes=True) for row in transitions],
        notices=[NoticePublic.model_validate(row, from_attributes=True) for row in notices],
    )


def live_view(status: PlanStatus, *, now: datetime) -> dict[str, Any]:
    """The status query brought up to `now`: a plan waiting on a weekly timer answers as of its last step."""
    view = dataclasses.asdict(status)
    if status.phase in rules.TIMED_PHASES and not status.paused and status.as_of:
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
    )


def alert_of(event: KpiAlert) -> AdoptionAlert:
    return AdoptionAlert(
        alert_id=str(event.alert_id), kind=event.kind, kpi=event.kpi, week=event.week, message=event.message
    )
