"""Initiatives: a clinic's ranked proposals, one initiative, and its approval (which starts its plan).

Thin, like every route here: validate, call the concern's functions, answer. Domain errors
(NotFound, Conflict, Refused) and an unreachable Temporal become HTTP answers in shared/app.py.
"""

from functools import partial
from uuid import UUID

from fastapi import APIRouter, Request, status

from services.roadmap.initiatives import approval as approvals
from services.roadmap.initiatives import service
from services.roadmap.initiatives.models import ApprovalIn, InitiativeList, InitiativePublic
from services.roadmap.plans import starter
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["roadmap"])


@router.get("/clinics/{clinic_id}/initiatives", response_model=InitiativeList)
async def list_initiatives(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Proposed initiatives from the latest assessment and audit, best first, and approved ones."""
    return await service.list_initiatives(session=session, clinic_id=clinic_id, officer_id=officer.id)


@router.get("/initiatives/{initiative_id}", response_model=InitiativePublic)
async def read_initiative(initiative_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    return await service.get_initiative(session=session, initiative_id=initiative_id, officer_id=officer.id)


@router.post(
    "/initiatives/{initiative_id}/approve",
    status_code=status.HTTP_201_CREATED,
    response_model=InitiativePublic,
    responses={
        409: {
            "description": "another initiative of the clinic is still before sustain, or this one is approved"
        },
        422: {"description": "one of the five questions has no answer"},
        503: {"description": "Temporal is not reachable: nothing was approved"},
    },
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
    """Approve one initiative (owner, KPI target, pilot group, phase lengths) and start its plan."""
    task_queue = request.app.state.runtime.settings.temporal_task_queue
    return await approvals.approve_initiative(
        session=session,
        initiative_id=initiative_id,
        officer_id=officer.id,
        approval=approval,
        pseudonym_secret=request.app.state.runtime.settings.pseudonym_secret,
        start_plan=partial(starter.start_plan, temporal, task_queue=task_queue),
    )
