"""The portal's read model of a plan's staff buy-in (roadmap.plan.buy-in-changed.v1)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel


class PortalPlanBuyIn(SQLModel, table=True):
    """The latest buy-in figures of a plan (the event's body; counts and aggregates only)."""

    __tablename__ = "portal_plan_buy_in"

    plan_id: str = Field(primary_key=True, max_length=200)
    clinic_id: UUID = Field(index=True)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    changed_at: datetime
