"""Roadmap's HTTP routes: thin, they validate, call service functions and talk to the plan workflow."""

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from services.roadmap import service
from services.roadmap.models import (
    ApprovalIn,
    DecisionIn,
    InitiativeList,
    InitiativePublic,
    PlanChangeIn,
    PlanPublic,
)
from services.roadmap.plans import GateDecision, PlanChange, PlanStatus
from services.roadmap.workflows import ImplementationPlanWorkflow
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["roadmap"])


def _not_found(error: service.NotFound) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(error))


async def _live_status(temporal: Client, plan_id: str) -> PlanStatus | None:
    """The workflow's status query, or None when no worker answers (the recorded phase still shows)."""
    try:
        return await service.plan_handle(temporal, plan_id).query(ImplementationPlanWorkflow.status)
    except RPCError:
        return None


async def _running_status(temporal: Client, plan_id: str) -> PlanStatus:
    live = await _live_status(temporal, plan_id)
    if live is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the plan's worker does not answer; retry shortly"
        )
    if live.phase in service.FINISHED_PHASES:
        raise HTTPException(status.HTTP_409_CONFLICT, f"plan {plan_id} is {live.phase}")
    return live


async def _owned_running_plan(
    plan_id: str, *, session: SessionDep, officer: CurrentOfficer, temporal: Client
) -> PlanStatus:
    """The officer's plan as its workflow sees it: 404 if it is not theirs, 409 if it has ended."""
    try:
        await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    except service.NotFound as error:
        raise _not_found(error) from error
    return await _running_status(temporal, plan_id)


@router.get("/clinics/{clinic_id}/initiatives", response_model=InitiativeList)
async def list_initiatives(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Proposed initiatives from the latest assessment and audit, best first, and approved ones."""
    try:
        return await service.list_initiatives(session=session, clinic_id=clinic_id, officer_id=officer.id)
    except service.NotFound as error:
        raise _not_found(error) from error


@router.get("/initiatives/{initiative_id}", response_model=InitiativePublic)
async def read_initiative(initiative_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    try:
        return await service.get_initiative(
            session=session, initiative_id=initiative_id, officer_id=officer.id
        )
    except service.NotFound as error:
        raise _not_found(error) from error


@router.post(
    "/initiatives/{initiative_id}/approve",
    status_code=status.HTTP_201_CREATED,
    response_model=InitiativePublic,
)
async def approve_initiative(
    *,
    initiative_id: UUID,
    approval: ApprovalIn,
    session: SessionDep,
    officer: CurrentOfficer,
    temporal: TemporalDep,
    request: Request,
) -> object:
    """Approve one initiative (owner, KPI target, pilot group, phase lengths) and start its plan.

    409 when another initiative of the clinic is still before sustain; 422 when one of the
    five questions has no answer.
    """
    try:
        return await service.approve_initiative(
            session=session,
            temporal=temporal,
            initiative_id=initiative_id,
            officer_id=officer.id,
            approval=approval,
            task_queue=request.app.state.runtime.settings.temporal_task_queue,
        )
    except service.NotFound as error:
        raise _not_found(error) from error
    except service.Refused as error:
        raise HTTPException(error.status_code, error.reason) from error


@router.get("/clinics/{clinic_id}/plans", response_model=list[PlanPublic])
async def list_plans(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The clinic's plans, oldest first, with their recorded phase history."""
    try:
        plans = await service.list_plans(session=session, clinic_id=clinic_id, officer_id=officer.id)
    except service.NotFound as error:
        raise _not_found(error) from error
    return [await service.describe_plan(session=session, plan=plan, live=None, recent=5) for plan in plans]


@router.get("/plans/{plan_id}", response_model=PlanPublic)
async def read_plan(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> object:
    """A plan: phase, day in phase, next milestone, latest KPI vs target, history and notices."""
    try:
        plan = await service.get_plan(session=session, plan_id=plan_id, officer_id=officer.id)
    except service.NotFound as error:
        raise _not_found(error) from error
    live = await _live_status(temporal, plan_id)
    return await service.describe_plan(
        session=session, plan=plan, live=service.live_view(live, now=datetime.now(UTC)) if live else None
    )


@router.post("/plans/{plan_id}/decisions", status_code=status.HTTP_202_ACCEPTED)
async def decide(
    plan_id: str, decision: DecisionIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """The officer's decision at the evaluation gate; 409 when the plan is not waiting for one."""
    await _owned_running_plan(plan_id, session=session, officer=officer, temporal=temporal)
    try:
        # A validated update: the workflow refuses it atomically when it is not at a gate.
        result = await service.plan_handle(temporal, plan_id).execute_update(
            ImplementationPlanWorkflow.decide,
            GateDecision(action=decision.action, extend_days=decision.extend_days, note=decision.note),
        )
    except WorkflowUpdateFailedError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error.cause)) from error
    return {"plan_id": plan_id, "result": result}


@router.patch("/plans/{plan_id}", response_model=None)
async def change_plan(
    plan_id: str, change: PlanChangeIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """Change the plan's KPI target and/or extend its current phase (validated by the workflow)."""
    await _owned_running_plan(plan_id, session=session, officer=officer, temporal=temporal)
    try:
        updated = await service.plan_handle(temporal, plan_id).execute_update(
            ImplementationPlanWorkflow.change_plan,
            PlanChange(
                target_change_pct=change.target_change_pct, extend_phase_days=change.extend_phase_days
            ),
        )
    except WorkflowUpdateFailedError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error.cause)) from error
    return dataclasses.asdict(updated)


async def _pause_or_resume(
    plan_id: str, *, pause: bool, session: SessionDep, officer: CurrentOfficer, temporal: Client
) -> dict[str, Any]:
    live = await _owned_running_plan(plan_id, session=session, officer=officer, temporal=temporal)
    if live.paused == pause:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"plan {plan_id} is already {'paused' if pause else 'running'}"
        )
    handle = service.plan_handle(temporal, plan_id)
    await handle.signal(ImplementationPlanWorkflow.pause if pause else ImplementationPlanWorkflow.resume)
    return {"plan_id": plan_id, "paused": pause}


@router.post("/plans/{plan_id}/pause", status_code=status.HTTP_202_ACCEPTED)
async def pause(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    """Pause the plan's clock (e.g. staff shortage); phases resume where they stopped."""
    return await _pause_or_resume(plan_id, pause=True, session=session, officer=officer, temporal=temporal)


@router.post("/plans/{plan_id}/resume", status_code=status.HTTP_202_ACCEPTED)
async def resume(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> dict[str, Any]:
    return await _pause_or_resume(plan_id, pause=False, session=session, officer=officer, temporal=temporal)
