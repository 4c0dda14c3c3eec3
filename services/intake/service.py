"""Intake's domain logic: plain functions the HTTP routes call."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.models import Clinic, ClinicCreate
from shared.events import ClinicRegistered
from shared.outbox import add_to_outbox

SOURCE = "faio/intake"


async def register_clinic(*, session: AsyncSession, clinic_in: ClinicCreate, officer_id: str) -> Clinic:
    """Store a clinic and stage `intake.clinic.registered.v1` in the same transaction."""
    clinic = Clinic.model_validate(clinic_in.model_dump(), update={"officer_id": officer_id})
    session.add(clinic)
    add_to_outbox(
        session,
        ClinicRegistered(
            clinic_id=clinic.id,
            officer_id=officer_id,
            name=clinic.name,
            specialty=clinic.specialty,
            locations=clinic.locations,
            staff=clinic_in.staff,
            systems=clinic.systems,
        ),
        source=SOURCE,
        subject=str(clinic.id),
    )
    await session.commit()
    await session.refresh(clinic)
    return clinic


async def get_clinic(*, session: AsyncSession, clinic_id: object) -> Clinic | None:
    """One clinic by id, or None."""
    return await session.get(Clinic, clinic_id)
