"""KPI monitoring's domain logic."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import KpiClinic
from shared.events import ClinicRegistered


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered) -> KpiClinic:
    """Remember a registered clinic (insert or refresh)."""
    clinic = await session.get(KpiClinic, event.clinic_id) or KpiClinic(id=event.clinic_id)
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    session.add(clinic)
    return clinic
