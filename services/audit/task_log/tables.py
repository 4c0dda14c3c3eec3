"""Audit's self-logging table: one row per task-log link (apart from the schemas, so models.py
can list it in audit's metadata without importing anything that imports it)."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from shared import clock


class TaskLogLink(SQLModel, table=True):
    """An audit's self-logging link; the signed token names this row, so revoking it refuses the token."""

    __tablename__ = "audit_task_log_link"

    # The officer first in the key (the tenant: tests/unit/test_tenant_keys.py).
    officer_id: str = Field(primary_key=True, max_length=100)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    audit_id: UUID = Field(index=True)
    roster: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=clock.now)
    expires_at: datetime
    revoked_at: datetime | None = None
