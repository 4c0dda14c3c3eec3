"""A plan's evaluation from the officer's side: the baseline a pilot needs, and the close-out report.

Service functions: they check ownership, talk to the running plan through the starter's functions
(passed in, so this module never imports Temporal), keep what was decided on the initiative's
review, and gather a finished plan's facts for close_out.build_report.
"""

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.initiatives import repricing
from services.roadmap.models import Initiative, RoadmapClinic, RoadmapPlanTransition
from services.roadmap.plans import close_out, service
from services.roadmap.plans.contracts import HandBaseline, PlanStatus
from services.roadmap.plans.models import BaselineIn
from shared.errors import Conflict, Refused
from shared.events.roadmap import FINAL_PHASES
from shared.free_text import FreeText

ProvideBaseline = Callable[[str, HandBaseline], Awaitable[PlanStatus]]
ReadStatus = Callable[[str], Awaitable[PlanStatus | None]]


class PlanBaselineIn(BaseModel):
    """A baseline entered by hand on a running plan, or why its pilot may start without one."""

    model_config = ConfigDict(extra="forbid")

    baseline: BaselineIn | None = None
    no_baseline_reason: FreeText = PydanticField(default="", max_length=500, description="no patient details")


class PlanBaselinePublic(BaseModel):
    """Where the plan's baseline now comes from, and the recorded reason when it has none."""

    plan_id: str
    baseline_source: str
    baseline_value: float | None
    no_baseline_reason: str
    awaiting_baseline: bool


async def provide_baseline(
    *, session: AsyncSession, plan_id: str, officer_id: str, given: PlanBaselineIn, send: ProvideBaseline
) -> PlanBaselinePublic:
    """Hand a baseline (or the reason for none) to the running plan and keep it on the initiative's review."""
    plan = await service.get_plan(session=session, plan_id=plan_id, officer_id=officer_id)
    reason = given.no_baseline_reason.strip()
    if given.baseline is None and not reason:
        raise Refused(
            "baseline: a pilot needs a baseline; enter one by hand in baseline (source: audit, "
            "manual_count or emr_report; value; weekly_volume) or record why the pilot may start "
            "without one in no_baseline_reason"
        )
    entered = given.baseline
    status = await send(
        plan.id,
        HandBaseline(
            source=entered.source if entered else "",
            value=entered.value if entered else None,
            weekly_volume=entered.weekly_volume if entered else None,
            no_baseline_reason=reason,
        ),
    )
    initiative = await session.get(Initiative, (plan.clinic_id, plan.initiative_id))
    if initiative is not None:
        review = dict(initiative.review)  # a new dict: the JSON column sees the change
        if entered is not None:
            review["baseline"] = {
                **entered.model_dump(),
                "entered_by_hand": True,
                "entered_on_running_plan": True,
            }
        if reason:
            review["no_baseline_reason"] = reason
        initiative.review = review
        session.add(initiative)
        await repricing.reprice_plan(
            session, initiative.clinic_id, initiative.id
        )  # a per-encounter price may use its volume
        await session.commit()
    return PlanBaselinePublic(
        plan_id=plan.id,
        baseline_source=status.baseline_source,
        baseline_value=status.baseline_value,
        no_baseline_reason=status.no_baseline_reason,
        awaiting_baseline=status.awaiting_baseline,
    )


async def close_out_report(
    *, session: AsyncSession, plan_id: str, officer_id: str, read_status: ReadStatus
) -> close_out.CloseOutReport:
    """The close-out report of a finished plan; Conflict while it still runs."""
    plan = await service.get_plan(session=session, plan_id=plan_id, officer_id=officer_id)
    if plan.phase not in FINAL_PHASES:
        raise Conflict(
            f"plan {plan_id} is in its {plan.phase} phase: the close-out report is written once the plan is "
            "done or stopped; GET /v1/plans/{plan_id} shows it as it runs"
        )
    initiative = await session.get(Initiative, (plan.clinic_id, plan.initiative_id))
    clinic = await session.get(RoadmapClinic, plan.clinic_id)
    transitions = (
        await session.exec(
            select(RoadmapPlanTransition)
            .where(
                RoadmapPlanTransition.clinic_id == plan.clinic_id, RoadmapPlanTransition.plan_id == plan.id
            )
            .order_by(col(RoadmapPlanTransition.seq))
        )
    ).all()
    status = await read_status(plan.id)
    status_dict: dict[str, Any] | None = dataclasses.asdict(status) if status is not None else None
    phase_days = initiative.phase_days if initiative else {}
    target = status.target_change_pct if status else (initiative.target_change_pct if initiative else None)
    facts = close_out.CloseOutFacts(
        plan_id=plan.id,
        clinic_id=str(plan.clinic_id),
        clinic_name=clinic.name if clinic else "",
        problem=initiative.problem if initiative else "",
        solution=initiative.solution if initiative else "",
        kpi=initiative.kpi if initiative else "",
        owner=initiative.owner if initiative else "",
        outcome=plan.phase,
        approved_at=initiative.approved_at if initiative else None,
        target_change_pct=float(target or 0.0),
        baseline_days=float(phase_days.get("baseline", 14.0)),
        review=dict(initiative.review) if initiative else {},
        transitions=[
            close_out.Transition(row.phase, row.previous_phase, row.reason, row.changed_at)
            for row in transitions
        ],
        status=status_dict,
        pilot_group_size=len(initiative.pilot_group) if initiative else None,
    )
    return close_out.build_report(facts)
