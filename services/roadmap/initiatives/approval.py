"""Approving an initiative: the five questions answered, the approval reviewed, its plan started.

One problem first: refused while another plan of the clinic is before sustain, and the database's
partial unique index holds it for two approvals at the same instant. Temporal stays outside: the
approval is handed `start_plan` (plans/starter.py).
"""

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap import clinics
from services.roadmap.catalog import prices
from services.roadmap.catalog.service import chosen_entry
from services.roadmap.initiatives import approval_review, approval_targets, rules
from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.initiatives.service import get_initiative
from services.roadmap.models import (
    SOURCE,
    Initiative,
    RoadmapAssessment,
    RoadmapAudit,
    RoadmapClinic,
    RoadmapPlan,
)
from services.roadmap.plans.contracts import DAY_SECONDS, PlanInput, plan_workflow_id
from services.roadmap.plans.service import plan_in_flight
from shared import clock, pseudonyms
from shared.calendar import ClinicCalendar, stored_calendar
from shared.errors import Conflict, Refused
from shared.events.roadmap import InitiativeApproved
from shared.outbox import add_to_outbox

# Starts an approved initiative's plan (the starter's start_plan, bound to a Temporal client).
StartPlan = Callable[[PlanInput], Awaitable[None]]


def plan_input_for(
    initiative: Initiative,
    approval: ApprovalIn,
    plan_id: str,
    *,
    calendar: ClinicCalendar,
    baseline: tuple[date, date],
    officer_id: str = "",
    clinic_name: str = "",
) -> PlanInput:
    days = approval.phase_days.model_dump()
    baseline_start, baseline_end = baseline
    return PlanInput(
        plan_id=plan_id,
        clinic_id=str(initiative.clinic_id),
        initiative_id=str(initiative.id),
        kpi=initiative.kpi,
        target_change_pct=approval.target_pct,
        phase_seconds={phase: float(value) * DAY_SECONDS for phase, value in days.items()},
        checkin_seconds=approval.checkin_days * DAY_SECONDS,
        # The officer gets as long to decide at the gate as between two check-ins, a week by default.
        decision_timeout_seconds=approval.checkin_days * DAY_SECONDS,
        baseline_value=approval.baseline.value if approval.baseline else None,
        baseline_weekly_volume=approval.baseline.weekly_volume if approval.baseline else None,
        baseline_source=approval.baseline.source if approval.baseline else "",
        no_baseline_reason=approval.no_baseline_reason.strip(),
        officer_id=officer_id,
        clinic_name=clinic_name,
        clock_offset_seconds=clock.offset_seconds(),
        time_zone=calendar.time_zone,
        baseline_start=baseline_start.isoformat(),
        baseline_end=baseline_end.isoformat(),
        pilot_started_at=_midnight(approval.pilot_started_on, calendar),
        baseline_started_at=_midnight(baseline_start, calendar) if approval.pilot_started_on else "",
        minimum_worthwhile_pct=approval.minimum_worthwhile_pct,
        # Read against the feed's baseline by the plan once measured (plans/target_lock.py).
        target_change_points=approval.target_change_points if approval.target_pending else None,
        target_share_of_gap=approval.target_share_of_gap if approval.target_pending else None,
    )


def _midnight(day: date | None, calendar: ClinicCalendar) -> str:
    """The instant a clinic's day began, ISO 8601 ("" for no day)."""
    return datetime.combine(day, time(0), tzinfo=calendar.zone).isoformat() if day else ""


async def clinic_calendar(session: AsyncSession, clinic_id: UUID) -> ClinicCalendar:
    """The clinic's own time, as roadmap keeps it."""
    return await stored_calendar(session, RoadmapClinic, clinic_id)


def baseline_window(approval: ApprovalIn, *, calendar: ClinicCalendar, now: datetime) -> tuple[date, date]:
    """The baseline's first and last day, in the clinic's own dates.

    From history: the last whole weeks already in the feed (Monday to Sunday, as kpi counts them),
    never the week under way. Otherwise measured during the baseline phase, from today.
    """
    today = calendar.day_of(now)
    if approval.baseline_from_history_weeks is not None:
        # Before the pilot that is already under way, else before this week.
        before = approval.pilot_started_on or today
        last_sunday = before - timedelta(days=before.isoweekday())
        return last_sunday - timedelta(weeks=approval.baseline_from_history_weeks, days=-1), last_sunday
    return today, calendar.day_of(now + timedelta(days=approval.phase_days.baseline))


async def approve_initiative(
    *,
    session: AsyncSession,
    initiative_id: UUID,
    officer_id: str,
    approval: ApprovalIn,
    pseudonym_secret: str,
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
    facts = await _approval_facts(session, initiative)
    # A target in points or as a share of the gap, as the relative change every check below reads.
    approval = approval_targets.resolved(
        kpi=initiative.kpi, approval=approval, suggested_pct=initiative.suggested_target_pct
    )
    unanswered = rules.unanswered_questions(
        problem=initiative.problem,
        cost_per_week=initiative.cost_per_week,
        owner=approval.owner,
        kpi=initiative.kpi,
        target_change_pct=approval.target_pct,
        integrates=facts.integrates,
        integration_note=facts.integration_note,
        integration_exception=approval.integration_exception,
    )
    if unanswered:
        raise Refused("the five questions are not all answered: " + "; ".join(unanswered))
    calendar = await clinic_calendar(session, initiative.clinic_id)
    target_refusals = approval_targets.refusals(kpi=initiative.kpi, approval=approval, today=calendar.today())
    if target_refusals:
        raise Refused("; ".join(target_refusals))
    choices, priced = await _priced_choices(session, initiative, approval)
    review, refusals = approval_review.review_approval(facts, choices)
    if refusals:
        raise Refused("; ".join(refusals))
    if review.money is not None and priced is not None:
        review.money["tool_cost_volume"] = priced.volume_kind  # measured, entered, projected or ""

    # The pilot group names people by their partner-system ids (they must meet the partner's events in
    # kpi), so faio keeps only their keyed pseudonyms. The owner stays as typed: a role the officer
    # addresses (fd-lead-1, pm-1), never matched with partner data, checked by the pseudonym rule.
    pilot_group = pseudonyms.pseudonyms_for(
        approval.pilot_group, clinic_id=initiative.clinic_id, secret=pseudonym_secret
    )
    now = clock.now()
    plan_id = plan_workflow_id(initiative.id)
    initiative.status = "approved"
    initiative.owner = approval.owner
    initiative.target_change_pct = approval.target_pct
    initiative.pilot_group = pilot_group
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
            target_change_pct=approval.target_pct,
            pilot_group=pilot_group,
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
            initiative,
            approval,
            plan_id,
            calendar=calendar,
            baseline=(baseline_start, baseline_end),
            officer_id=officer_id,
            clinic_name=clinic.name if clinic else "",
        )
    )
    await session.commit()
    return initiative


async def _approval_facts(session: AsyncSession, initiative: Initiative) -> approval_review.ApprovalFacts:
    assessment = await session.get(RoadmapAssessment, initiative.clinic_id)
    audit = await session.get(RoadmapAudit, initiative.clinic_id)
    audit_hours = None
    if audit is not None:
        problem = clinics.normalise_category(initiative.problem)
        audit_hours = next(
            (
                float(candidate.get("hours_per_week", 0.0))
                for candidate in audit.candidates
                if clinics.normalise_category(str(candidate.get("category", ""))) == problem
            ),
            None,
        )
    # The chosen vendor answers for itself: its integration check and whether it receives identifiers.
    choice, entry = await chosen_entry(session, initiative)
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
        receives_patient_identifiers=entry.receives_patient_identifiers if entry is not None else None,
        vendor=f"{entry.vendor} {entry.product}".strip() if entry is not None else "",
        integrates=choice.integrates if choice is not None else initiative.integrates,
        integration_note=choice.integration_note if choice is not None else initiative.integration_note,
    )


async def _priced_choices(
    session: AsyncSession, initiative: Initiative, approval: ApprovalIn
) -> tuple[approval_review.ApprovalChoices, prices.CatalogPrice | None]:
    """The officer's choices, at the chosen vendor's catalog price when no tool cost was entered."""
    choices = _approval_choices(approval)
    if choices.tool_cost is not None:
        return choices, None
    entered = approval.baseline
    priced = await prices.chosen_vendor_price(
        session,
        initiative,
        weekly_volume=entered.weekly_volume if entered else None,
        weekly_volume_source=entered.source if entered else "",
    )
    if priced is not None:
        choices = dataclasses.replace(choices, tool_cost=priced.tool_cost, tool_cost_note=priced.note)
    return choices, priced


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
        target_change_pct=approval.target_pct,
        baseline_days=approval.baseline_days,
        pilot_days=approval.phase_days.pilot,
        baseline=baseline,
        no_baseline_reason=approval.no_baseline_reason,
        compliance_exception=approval.compliance_exception,
        tool_cost=approval_review.ToolCost(**cost.model_dump()) if cost is not None else None,
        average_visit_value=approval.average_visit_value,
        booking_share=approval.booking_share,
        integration_exception=approval.integration_exception,
        pilot_group_size=len(approval.pilot_group),
        phase_days=approval.phase_days.model_dump(),
        capacity_to_cash_share=approval.capacity_to_cash_share,
        capacity_to_cash_note=approval.capacity_to_cash_note.strip(),
    )
