"""Roadmap's domain logic."""

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from services.roadmap.models import RoadmapClinic
from services.roadmap.workflows import ClinicRoadmapWorkflow, roadmap_workflow_id
from shared.events import ClinicRegistered


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered) -> RoadmapClinic:
    """Remember a registered clinic (insert or refresh)."""
    clinic = await session.get(RoadmapClinic, event.clinic_id) or RoadmapClinic(
        id=event.clinic_id, roadmap_workflow_id=roadmap_workflow_id(event.clinic_id)
    )
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    clinic.specialty = event.specialty
    clinic.systems = dict(event.systems)
    session.add(clinic)
    return clinic


async def start_clinic_roadmap(*, temporal: Client, clinic_id: object, task_queue: str) -> str:
    """Start the clinic's roadmap workflow; starting it again is harmless (same workflow id)."""
    workflow_id = roadmap_workflow_id(clinic_id)
    await temporal.start_workflow(
        ClinicRoadmapWorkflow.run,
        str(clinic_id),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return workflow_id
