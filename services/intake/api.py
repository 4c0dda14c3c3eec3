"""Intake's HTTP routes: thin, they validate and call service functions."""

from uuid import UUID

from fastapi import APIRouter, HTTPException, status

from services.intake import service
from services.intake.models import ClinicCreate, ClinicPublic
from shared.app import SessionDep

router = APIRouter(prefix="/v1", tags=["clinics"])

# Until officer sign-in exists every clinic belongs to the development officer.
DEVELOPMENT_OFFICER = "officer-dev"


@router.post("/clinics", status_code=status.HTTP_201_CREATED, response_model=ClinicPublic)
async def register_clinic(clinic_in: ClinicCreate, session: SessionDep) -> object:
    """Register a clinic in the officer's portfolio."""
    return await service.register_clinic(session=session, clinic_in=clinic_in, officer_id=DEVELOPMENT_OFFICER)


@router.get("/clinics/{clinic_id}", response_model=ClinicPublic)
async def read_clinic(clinic_id: UUID, session: SessionDep) -> object:
    """One clinic."""
    clinic = await service.get_clinic(session=session, clinic_id=clinic_id)
    if clinic is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"clinic {clinic_id} not found")
    return clinic
