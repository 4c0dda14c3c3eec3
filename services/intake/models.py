"""Intake's tables and API schemas."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import ConfigDict
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from shared.db import service_metadata
from shared.events import StaffRole
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage


class ClinicBase(SQLModel):
    """What an officer tells us about a practice."""

    name: str = Field(min_length=1, max_length=200)
    specialty: str = Field(min_length=1, max_length=100)
    locations: int = Field(default=1, ge=1, le=500)
    notes: str = Field(default="", max_length=2000)


class ClinicCreate(ClinicBase):
    """Body of POST /v1/clinics; unknown fields are refused so typos never vanish."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    staff: list[StaffRole] = Field(default_factory=list)
    systems: dict[str, str] = Field(default_factory=dict, description="emr, phone, scheduling, ... -> vendor")


class Clinic(ClinicBase, table=True):
    """A practice in an officer's portfolio."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    staff: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    systems: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ClinicPublic(ClinicBase):
    """A clinic as the API returns it."""

    id: UUID
    officer_id: str
    staff: list[StaffRole]
    systems: dict[str, str]
    created_at: datetime


metadata = service_metadata(Clinic, OutboxMessage, InboxMessage)
