"""Audit's tables and API schemas."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from shared.db import service_metadata
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage


class AuditClinic(SQLModel, table=True):
    """A clinic as audit knows it from intake's events: roles and their hourly cost price the tasks."""

    __tablename__ = "audit_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    staff: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    registered_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


metadata = service_metadata(AuditClinic, OutboxMessage, InboxMessage)
