"""A clinic's initiatives as the officer reads them: proposed ones ranked, then the approved history.

How they are proposed is in proposals.py, how one is approved in approval.py.
"""

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.clinics import among_officer_clinics, get_clinic
from services.roadmap.initiatives.models import InitiativeList, InitiativePublic
from services.roadmap.models import Initiative, RoadmapAssessment, RoadmapAudit
from shared.errors import NotFound


async def list_initiatives(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> InitiativeList:
    """The clinic's initiatives (proposed ones ranked, then the approved history)."""
    await get_clinic(session=session, clinic_id=clinic_id, officer_id=officer_id)
    rows = list(
        (
            await session.exec(
                select(Initiative).where(Initiative.clinic_id == clinic_id).order_by(col(Initiative.rank))
            )
        ).all()
    )
    rows.sort(key=lambda row: (row.status != "proposed", row.rank))
    waiting_for = []
    if await session.get(RoadmapAssessment, clinic_id) is None:
        waiting_for.append("assessment: complete the AI Readiness Assessment at intake")
    if await session.get(RoadmapAudit, clinic_id) is None:
        waiting_for.append("audit: run the one-week task audit")
    recommended = next((row for row in rows if row.recommended and row.status == "proposed"), None)
    return InitiativeList(
        clinic_id=clinic_id,
        waiting_for=waiting_for,
        recommended_id=recommended.id if recommended else None,
        recommendation=recommended.reason if recommended else "",
        initiatives=[InitiativePublic.model_validate(row, from_attributes=True) for row in rows],
    )


async def get_initiative(*, session: AsyncSession, initiative_id: UUID, officer_id: str) -> Initiative:
    """The officer's initiative, or NotFound (also when it is another officer's)."""
    # The path names only the initiative: it is looked for among the officer's clinics.
    statement = among_officer_clinics(
        select(Initiative).where(Initiative.id == initiative_id), col(Initiative.clinic_id), officer_id
    )
    initiative = (await session.exec(statement)).first()
    if initiative is None:
        raise NotFound(f"initiative {initiative_id} not found")
    return initiative
