"""The plan workflow's buy-in activity: may the plan leave preparation? (reads roadmap's database)."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from temporalio import activity

from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.buy_in.service import PreparationCheck
from shared.db import SessionFactory


class BuyInActivities:
    """Activities about a plan's staff buy-in, given the roadmap database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="check_preparation")
    async def check_preparation(self, clinic_id: str, plan_id: str) -> PreparationCheck:
        """Read-only: a communication sent and a training held, or a waiver; what is missing otherwise."""
        async with self.sessions() as session:
            return await buy_in.check_preparation(session, UUID(clinic_id), plan_id)

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_preparation]
