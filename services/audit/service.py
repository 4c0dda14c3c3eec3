"""Audit's domain logic."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.audit.models import AuditClinic
from shared.events import ClinicRegistered


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered) -> AuditClinic:
    """Remember a registered clinic and its staff costs (insert or refresh)."""
    clinic = await session.get(AuditClinic, event.clinic_id) or AuditClinic(id=event.clinic_id)
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    clinic.staff = [role.model_dump() for role in event.staff]
    session.add(clinic)
    return clinic
