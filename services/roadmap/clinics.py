"""A clinic as roadmap knows it: whose it is, and the audit's task categories as roadmap keys them.

Every concern reads a clinic through here, so "another officer's clinic is a 404" is one rule.
"""

from typing import Any, TypeVar
from uuid import UUID

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from services.roadmap.models import RoadmapClinic
from shared.errors import NotFound

Row = TypeVar("Row")


async def get_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> RoadmapClinic:
    """The officer's clinic, or NotFound (also when it is another officer's)."""
    clinic = await session.get(RoadmapClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} not found")
    return clinic


def among_officer_clinics(
    statement: SelectOfScalar[Row], clinic_id: Any, officer_id: str
) -> SelectOfScalar[Row]:
    """A clinic's rows found by a path that names no clinic (/plans/<id>): only the officer's clinics'."""
    return statement.join(RoadmapClinic, col(RoadmapClinic.id) == clinic_id).where(
        RoadmapClinic.officer_id == officer_id
    )


def normalise_category(category: str) -> str:
    """An audit task category as roadmap keys it (playbooks, the catalog, the strategy map's areas)."""
    return category.strip().lower().replace("-", "_").replace(" ", "_")
