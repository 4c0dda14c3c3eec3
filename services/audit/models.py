"""Audit's tables and API schemas."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Index, text
from sqlmodel import Field, SQLModel

from services.audit.task_log.tables import TaskLogLink
from shared import clock
from shared.calendar import CalendarColumns
from shared.db import service_metadata
from shared.free_text import refuse_patient_data
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.outbox import OutboxMessage
from shared.pseudonyms import check_pseudonym
from shared.rate_counts import RateCount
from shared.spreadsheets import neutralise_formula

DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 31


class TaskCategory(StrEnum):
    """The method's task categories; every logged task falls in one."""

    patient_communication = "patient_communication"
    appointment_scheduling = "appointment_scheduling"
    documentation = "documentation"
    insurance_verification = "insurance_verification"
    follow_up_calls = "follow_up_calls"
    referral_coordination = "referral_coordination"
    marketing = "marketing"
    billing = "billing"
    internal_admin = "internal_admin"
    other = "other"


class Predictability(StrEnum):
    """How predictable a task's steps are, as the person doing it judges."""

    always_same = "always_same"
    mostly_same = "mostly_same"
    varies = "varies"


class AuditStatus(StrEnum):
    open = "open"
    closed = "closed"


class AuditClinic(CalendarColumns, table=True):
    """A clinic as audit knows it from intake's events: roles and their hourly cost price the tasks,
    its calendar says which working days a window covered."""

    __tablename__ = "audit_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    staff: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    registered_at: datetime = Field(default_factory=clock.now)
    archived_at: datetime | None = None  # left the active portfolio: no new audit windows


# --- audit windows -------------------------------------------------------------------------


class AuditWindowCreate(BaseModel):
    """What the officer sends to open an audit window (both optional)."""

    model_config = ConfigDict(extra="forbid")

    # Far-off years only overflow the window's date arithmetic (year 9999 + 7 days).
    starts_on: date | None = PydanticField(
        default=None,
        ge=date(2000, 1, 1),
        le=date(2100, 1, 1),
        description="first day logged; default today (UTC)",
    )
    days: int = PydanticField(default=DEFAULT_WINDOW_DAYS, ge=1, le=MAX_WINDOW_DAYS)


class AuditWindow(SQLModel, table=True):
    """One audit window of a clinic: staff log tasks from starts_on to ends_on (both included);
    it closes by itself at closes_at (00:00 UTC the day after ends_on) or earlier by the officer."""

    __tablename__ = "audit_window"
    # At most one open window per clinic, enforced by the database too (two concurrent requests).
    __table_args__ = (
        Index(
            "ux_audit_window_one_open_per_clinic",
            "clinic_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    # The clinic first in every key (the tenant: tests/unit/test_tenant_keys.py).
    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    starts_on: date
    ends_on: date
    closes_at: datetime
    days: int
    status: AuditStatus = Field(default=AuditStatus.open)
    workflow_id: str = Field(max_length=200)
    close_reason: str | None = Field(default=None, max_length=40)
    closed_at: datetime | None = None
    findings: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=clock.now)


class AuditWindowPublic(BaseModel):
    """An audit window as the officer sees it."""

    id: UUID
    clinic_id: UUID
    starts_on: date
    ends_on: date
    closes_at: datetime
    days: int
    status: AuditStatus
    entries: int = 0
    close_reason: str | None
    closed_at: datetime | None
    created_at: datetime


# --- task log entries ----------------------------------------------------------------------


class EntryBase(SQLModel):
    """One recurring task a staff member did on one day."""

    staff_id: str = Field(
        min_length=1, max_length=60, description="pseudonym of the staff member (never a real name)"
    )
    role: str = Field(min_length=1, max_length=60, description="a role of the clinic profile")

    @field_validator("staff_id")
    @classmethod
    def _pseudonymous(cls, value: str) -> str:
        # The one rule for staff ids (shared/pseudonyms.py): "Maria Lopez" is refused, fd-1 is not.
        # Kept as given, not keyed: a time study's ids are faio's own roster labels (front-desk-2) or
        # the officer's role labels, never matched with partner data; the officer hands out the task-log
        # links by them, so they must stay readable. Partner-system ids are keyed (shared.pseudonyms).
        return check_pseudonym(value)

    day: date
    category: TaskCategory
    description: str = Field(
        min_length=1, max_length=200, description="short, no patient details (names, dates, numbers)"
    )
    minutes: int = Field(gt=0, le=24 * 60, description="minutes one occurrence takes")
    occurrences: int = Field(default=1, ge=1, le=1000, description="times it happened that day")
    predictability: Predictability
    tools: list[str] = Field(default_factory=list, sa_type=JSON, description="e.g. phone, EMR, fax")


class EntryCreate(EntryBase):
    """A task log entry as staff (or the CSV import) send it."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("staff_id", "role", "description")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @field_validator("description")
    @classmethod
    def _no_formula(cls, value: str) -> str:
        # Patient data first: the check reads the text as typed, before a formula is neutralised.
        return neutralise_formula(refuse_patient_data(value))

    @field_validator("tools")
    @classmethod
    def _tools(cls, value: list[str]) -> list[str]:
        tools = [neutralise_formula(tool.strip()) for tool in value if tool.strip()]
        if any(len(tool) > 60 for tool in tools):
            raise ValueError("each tool name must be at most 60 characters")
        return tools


class AuditEntry(EntryBase, table=True):
    """A stored task log entry."""

    __tablename__ = "audit_entry"

    # The audit's clinic first in the key. Ids count up per clinic (service._store_entries, under
    # the open window's lock): a database counter cannot number a composite key on SQLite.
    clinic_id: UUID = Field(primary_key=True)
    id: int | None = Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": False})
    audit_id: UUID = Field(index=True)
    source: str = Field(default="api", max_length=10)  # api, csv or link (staff self-logging)
    import_id: UUID | None = Field(default=None, index=True)  # the CSV import it came with
    created_at: datetime = Field(default_factory=clock.now)


class AuditImport(SQLModel, table=True):
    """One imported spreadsheet: recognised by its content if it comes again, and undoable."""

    __tablename__ = "audit_import"

    clinic_id: UUID = Field(primary_key=True)  # the audit's
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    audit_id: UUID = Field(index=True)
    content_sha256: str = Field(max_length=64, index=True)
    rows: int
    imported_at: datetime = Field(default_factory=clock.now)
    undone_at: datetime | None = None


class AuditImportPublic(BaseModel):
    """An import as the officer sees it."""

    id: UUID
    audit_id: UUID
    rows: int
    imported_at: datetime
    undone_at: datetime | None


class EntryPublic(EntryBase):
    """A stored entry as returned by the API."""

    id: int
    audit_id: UUID
    source: str


class EntriesCreated(BaseModel):
    """Result of logging one or many entries."""

    audit_id: UUID
    created: int


# --- CSV import ----------------------------------------------------------------------------


class RowError(BaseModel):
    """One problem in an imported file: where it is and what is wrong."""

    line: int = PydanticField(description="line number in the file; the header is line 1")
    column: str
    reason: str


class ImportReport(BaseModel):
    """What an import (or its dry run) did, or why the whole file was refused."""

    audit_id: UUID
    import_id: UUID | None = None  # to undo it: DELETE /v1/audits/{audit_id}/imports/{import_id}
    dry_run: bool
    rows: int
    imported: int
    errors: list[RowError] = []


metadata = service_metadata(
    AuditClinic,
    AuditWindow,
    AuditEntry,
    AuditImport,
    TaskLogLink,
    OutboxMessage,
    InboxMessage,
    Lease,
    RateCount,
)
