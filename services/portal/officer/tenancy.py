"""Tenancy: what the signed-in officer may see and act on. Every page and action looks its clinic,
plan or initiative up here first; another officer's is NotFound, exactly like one that does not
exist, before anything is sent anywhere.
"""

from typing import TypeVar
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model.models import PortalClinic, PortalInitiative, PortalPlan
from shared.errors import NotFound


async def owned_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> PortalClinic:
    """The officer's clinic, or NotFound (another officer's clinic is not confirmed to exist)."""
    clinic = await session.get(PortalClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} is not in your portfolio")
    return clinic


async def owned_plan(*, session: AsyncSession, plan_id: str, officer_id: str) -> PortalPlan:
    """The officer's plan, or NotFound."""
    plan = await _among_the_officers_clinics(session, PortalPlan, plan_id, officer_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} is not in your portfolio")
    return plan


async def owned_initiative(
    *, session: AsyncSession, initiative_id: UUID, officer_id: str
) -> PortalInitiative:
    """The officer's initiative, or NotFound."""
    initiative = await _among_the_officers_clinics(session, PortalInitiative, initiative_id, officer_id)
    if initiative is None:
        raise NotFound(f"initiative {initiative_id} is not in your portfolio")
    return initiative


Owned = TypeVar("Owned", PortalPlan, PortalInitiative)


async def _among_the_officers_clinics(
    session: AsyncSession, model: type[Owned], row_id: object, officer_id: str
) -> Owned | None:
    # Its page names the row only: found among the officer's clinics, joined on the clinic (the
    # tenant, first in the row's key), so another officer's row is as absent as a missing one.
    statement = (
        select(model)
        .join(PortalClinic, col(PortalClinic.id) == col(model.clinic_id))
        .where(col(model.id) == row_id, col(PortalClinic.officer_id) == officer_id)
    )
    return (await session.exec(statement)).first()
