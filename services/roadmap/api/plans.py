"""Plans: a clinic's plans, one plan with its live status, the gate decision, changes, pause and resume,
and the baseline a pilot needs. Temporal's refusals come back as domain errors from starter.py.
"""

import dataclasses
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from services.roadmap.plans import reports as plan_reports
from services.roadmap.plans import service, starter
from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.contracts import GateDecision, PlanChange
from services.roadmap.plans.models import DecisionIn, PlanChangeIn, PlanPublic
from services.roadmap.plans.reports import PlanBaselineIn, PlanBaselinePublic
from shared import clock
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["roadmap"])


@router.get("/clinics/{clinic_id}/plans", response_model=list[PlanPublic])
async def list_plans(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The clinic's plans, oldest first, with their recorded phase history."""
    plans = await service.list_plans(session=session, clinic_id=clinic_id, officer_id=officer.id)
    described = []
    for plan in plans:
        view = await service.describe_plan(session=session, plan=plan, live=None, recent=5)
        view.buy_in = buy_in.summary_of(await buy_in.buy_in_view(session=session, plan=plan))
        described.append(view)
    return described


@router.get("/plans/{plan_id}", response_model=PlanPublic)
async def read_plan(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> object:
    """A plan: phase, day in phase, next milestone, latest KPI vs target, history and notices."""
    plan = await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    live = await starter.plan_status(temporal, plan_id)
    view = await service.describe_plan(
        session=session, plan=plan, live=service.live_view(live, now=clock.now()) if live else None
    )
    view.buy_in = buy_in.summary_of(await buy_in.buy_in_view(session=session, plan=plan))
    return view


@router.post(
    "/plans/{plan_id}/decisions",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "the plan is not waiting for a gate decision, or it has ended"}},
)
async def decide(
    plan_id: str, decision: DecisionIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """The officer's decision at the evaluation gate."""
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    await starter.running_status(temporal, plan_id)
    result = await starter.decide(
        temporal,
        plan_id,
        GateDecision(
            action=decision.action,
            extend_days=decision.extend_days,
            note=decision.note,
            decided_by=officer.id,
        ),
    )
    return {"plan_id": plan_id, "result": result}


@router.patch(
    "/plans/{plan_id}",
    response_model=None,
    responses={
        409: {"description": "the plan has ended"},
        422: {"description": "the change does not fit the plan (direction, phase)"},
    },
)
async def change_plan(
    plan_id: str, change: PlanChangeIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """Change the plan's KPI target and/or extend its current phase (validated by the workflow)."""
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    await starter.running_status(temporal, plan_id)
    updated = await starter.change_plan(
        temporal,
        plan_id,
        PlanChange(target_change_pct=change.target_change_pct, extend_phase_days=change.extend_phase_days),
    )
    return dataclasses.asdict(updated)


@router.post(
    "/plans/{plan_id}/pause",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "the plan is already paused, or has ended"}},
)
async def pause(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """Pause the plan's clock (e.g. staff shortage); phases resume where they stopped."""
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    await starter.pause_or_resume(temporal, plan_id, pause=True)
    return {"plan_id": plan_id, "paused": True}


@router.post(
    "/plans/{plan_id}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "the plan is already running, or has ended"}},
)
async def resume(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    await starter.pause_or_resume(temporal, plan_id, pause=False)
    return {"plan_id": plan_id, "paused": False}


@router.post(
    "/plans/{plan_id}/baseline",
    response_model=PlanBaselinePublic,
    responses={
        409: {"description": "the plan has ended"},
        422: {"description": "neither a baseline nor a reason, or the gate has already judged the pilot"},
    },
)
async def provide_baseline(
    plan_id: str, given: PlanBaselineIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> object:
    """Enter the plan's baseline by hand (audit, manual count, EMR report), or record why its pilot may
    start without one. A pilot with neither waits at the end of preparation."""
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    await starter.running_status(temporal, plan_id)
    return await plan_reports.provide_baseline(
        session=session,
        plan_id=plan_id,
        officer_id=officer.id,
        given=given,
        send=partial(starter.provide_baseline, temporal),
    )
