"""A clinic as roadmap knows it: whose it is, and the audit's task categories as roadmap keys them.

Every concern reads a clinic through here, so "another officer's clinic is a 404" is one rule.
"""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.models import RoadmapClinic
from shared.errors import NotFound


async def get_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> RoadmapClinic:
    """The officer's clinic, or NotFound (also when it is another officer's)."""
    clinic = await session.get(RoadmapClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} not found")
    return clinic


async def officer_owns(session: AsyncSession, clinic_id: UUID, officer_id: str) -> bool:
    clinic = await session.get(RoadmapClinic, clinic_id)
    return clinic is not None and clinic.officer_id == officer_id


def normalise_category(category: str) -> str:
    """An audit task category as roadmap keys it (playbooks, the catalog, the strategy map's areas)."""
    return category.strip().lower().replace("-", "_").replace(" ", "_")
