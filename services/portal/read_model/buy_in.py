"""A plan's staff buy-in, kept from roadmap.plan.buy-in-changed.v1 (counts and aggregates only;
pages/buy_in.py says how they read next to the KPI)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model.models import PortalPlanBuyIn
from services.portal.read_model.times import aware
from shared.events.buy_in import PlanBuyInChanged


async def record_buy_in(*, session: AsyncSession, event: PlanBuyInChanged) -> None:
    """Keep the newest figures: an older event arriving late changes nothing."""
    row = await session.get(PortalPlanBuyIn, (event.clinic_id, event.plan_id))
    if row is None:
        row = PortalPlanBuyIn(plan_id=event.plan_id, clinic_id=event.clinic_id, changed_at=event.changed_at)
    elif aware(row.changed_at) >= event.changed_at:
        return
    row.figures = event.model_dump(mode="json", exclude={"clinic_id", "plan_id", "changed_at"})
    row.changed_at = event.changed_at
    session.add(row)
