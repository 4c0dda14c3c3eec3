"""Tenancy: what the signed-in officer may see and act on. Every page and action looks its clinic,
plan or initiative up here first; another officer's is NotFound, exactly like one that does not
exist, before anything is sent anywhere.
"""

from uuid import UUID

from sqlmodel import select
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
    # A plan's page names the plan only: it is found among the officer's clinics (a join on the
    # clinic, the tenant, so it stays on one Citus worker group per clinic).
    plan = (
        await session.exec(
            select(PortalPlan)
            .join(PortalClinic, PortalClinic.id == PortalPlan.clinic_id)  # type: ignore[arg-type]
            .where(PortalPlan.id == plan_id, PortalClinic.officer_id == officer_id)
        )
    ).first()
    if plan is None:
        raise NotFound(f"plan {plan_id} is not in your portfolio")
    return plan


async def owned_initiative(
    *, session: AsyncSession, initiative_id: UUID, officer_id: str
) -> PortalInitiative:
    """The officer's initiative, or NotFound."""
    initiative = (
        await session.exec(
            select(PortalInitiative)
            .join(PortalClinic, PortalClinic.id == PortalInitiative.clinic_id)  # type: ignore[arg-type]
            .where(PortalInitiative.id == initiative_id, PortalClinic.officer_id == officer_id)
        )
    ).first()
    if initiative is None:
        raise NotFound(f"initiative {initiative_id} is not in your portfolio")
    return initiative
