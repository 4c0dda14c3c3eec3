"""Staff told and trained before a plan starts, for tests whose plans must get past preparation.

A plan leaves preparation only once a communication was sent and a training held (or the officer
recorded why not); tests about other things record both up front, straight in roadmap's database.
"""

from datetime import UTC, datetime
from uuid import UUID

from services.roadmap.plans.buy_in.models import BuyInCommunication, BuyInTraining
from shared.db import SessionFactory


async def staff_told_and_trained(sessions: SessionFactory, *, plan_id: str, clinic_id: str | UUID) -> None:
    """Record a 'why we change' communication to all staff and one held training for the plan."""
    clinic = UUID(str(clinic_id))
    async with sessions() as session:
        session.add(
            BuyInCommunication(
                plan_id=plan_id,
                clinic_id=clinic,
                kind="why_we_change",
                audiences=["all_staff"],
                sent_at=datetime.now(UTC),
                recorded_by="officer-test",
            )
        )
        session.add(BuyInTraining(plan_id=plan_id, clinic_id=clinic, attendees=["ma-1", "ma-2"]))
        await session.commit()
