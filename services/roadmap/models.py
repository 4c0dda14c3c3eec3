"""Roadmap's tables and API schemas."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from shared.db import service_metadata
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage


class RoadmapClinic(SQLModel, table=True):
    """A clinic whose roadmap this service runs, and the workflow that holds it."""

    __tablename__ = "roadmap_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    specialty: str = Field(max_length=100)
    systems: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    roadmap_workflow_id: str = Field(max_length=200)
    registered_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


metadata = service_metadata(RoadmapClinic, OutboxMessage, InboxMessage)
