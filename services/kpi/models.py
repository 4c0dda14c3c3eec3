"""KPI monitoring's tables and API schemas."""

from datetime import UTC, datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from shared.db import service_metadata
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage


class KpiClinic(SQLModel, table=True):
    """A clinic whose partner events KPI monitoring will accept."""

    __tablename__ = "kpi_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    registered_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


metadata = service_metadata(KpiClinic, OutboxMessage, InboxMessage)
