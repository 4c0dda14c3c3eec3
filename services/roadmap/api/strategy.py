"""The strategy interview with the practice and the map it gives (notes stay with the officer)."""

from uuid import UUID

from fastapi import APIRouter

from services.roadmap import clinics
from services.roadmap.initiatives import proposals
from services.roadmap.strategy import service
from services.roadmap.strategy.models import InterviewIn, InterviewPublic, StrategyMapPublic
from shared.app import SessionDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1")


@router.get("/clinics/{clinic_id}/strategy-interview", response_model=InterviewPublic, tags=["strategy"])
async def read_interview(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """The interview's questions, areas, rating scale and the answers given so far (with notes)."""
    await clinics.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    rows = await service.interview_rows(session=session, clinic_id=clinic_id)
    return service.interview_public(clinic_id, rows)


@router.put("/clinics/{clinic_id}/strategy-interview", response_model=InterviewPublic, tags=["strategy"])
async def answer_interview(
    clinic_id: UUID, interview: InterviewIn, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Record answers (area x question: a 0-3 rating and a note); the proposals are re-ranked by the map."""
    await clinics.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    rows = await service.save_interview(
        session=session, clinic_id=clinic_id, officer_id=officer.id, interview=interview
    )
    await proposals.refresh_proposals(session=session, clinic_id=clinic_id)
    await session.commit()
    return service.interview_public(clinic_id, rows)


@router.get("/clinics/{clinic_id}/strategy-map", response_model=StrategyMapPublic, tags=["strategy"])
async def read_map(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Per area: a score (0-100), evidence, candidate initiatives and vendors; and the first problem."""
    clinic = await clinics.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    answer = await service.map_public(session=session, clinic=clinic)
    await session.commit()  # a first read seeds the officer's catalog
    return answer
