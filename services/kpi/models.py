"""KPI monitoring's tables and API schemas."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, ForeignKeyConstraint
from sqlmodel import Field, SQLModel

from services.kpi.partitions import PARTITION_BY
from shared import clock
from shared.calendar import CalendarColumns
from shared.db import service_metadata
from shared.events.kpi import KpiName
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.names import Name
from shared.outbox import OutboxMessage
from shared.rate_counts import RateCount


def _now() -> datetime:
    return clock.now()


class KpiClinic(CalendarColumns, table=True):
    """A clinic whose partner events KPI monitoring will accept."""

    __tablename__ = "kpi_clinic"

    id: UUID = Field(primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    registered_at: datetime = Field(default_factory=_now)


# --- partners -----------------------------------------------------------------------------

PartnerKind = Literal["emr", "phone", "scheduling", "ai_scribe", "messaging", "other"]


class PartnerBase(SQLModel):
    """What an officer says about an integration partner."""

    name: str = Field(min_length=1, max_length=200)


class PartnerCreate(PartnerBase):
    """Register a partner and link it to some of the officer's clinics."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]  # SQLModel's config type

    name: Name = Field(min_length=1, max_length=200)  # one line of visible text, from a person
    kind: PartnerKind = "other"
    clinic_ids: list[UUID] = Field(default_factory=list)


class KpiPartner(PartnerBase, table=True):
    """An integration partner. Its API key is stored only as a SHA-256 hash.

    The Standard Webhooks signing secret is symmetric (HMAC), so it has to be kept usable to
    verify signatures; like the database itself it must be protected at rest.
    """

    __tablename__ = "kpi_partner"

    # The officer first: the tenant in the key (tests/unit/test_tenant_keys.py).
    officer_id: str = Field(primary_key=True, max_length=100)
    id: UUID = Field(primary_key=True)
    kind: str = Field(default="other", max_length=30)
    api_key_hash: str = Field(unique=True, max_length=64)
    webhook_secret: str = Field(max_length=200)
    # During a key rotation the secret replaced still verifies until `previous_secret_until`.
    previous_webhook_secret: str | None = Field(default=None, max_length=200)
    previous_secret_until: datetime | None = None
    created_at: datetime = Field(default_factory=_now)

    @property
    def source(self) -> str:
        """The CloudEvents `source` of everything this partner sends."""
        return f"/partners/{self.id}"


class PartnerPublic(PartnerBase):
    """A partner as its officer sees it: never its key or secret."""

    id: UUID
    kind: str
    clinic_ids: list[UUID]
    source: str
    created_at: datetime


class PartnerCreated(PartnerPublic):
    """Shown once, when the partner is registered: hand both secrets to the partner now."""

    api_key: str
    webhook_secret: str


class KpiPartnerClinic(SQLModel, table=True):
    """A clinic a partner may publish events for."""

    __tablename__ = "kpi_partner_clinic"
    # Names the partner's officer too: a foreign key within one tenant (co-located on Citus).
    __table_args__ = (
        ForeignKeyConstraint(["officer_id", "partner_id"], ["kpi_partner.officer_id", "kpi_partner.id"]),
    )

    officer_id: str = Field(primary_key=True, max_length=100)
    partner_id: UUID = Field(primary_key=True)
    clinic_id: UUID = Field(primary_key=True, index=True)


class KpiWebhookDelivery(SQLModel, table=True):
    """A signed request already received: the same `webhook-id` again is a replay."""

    __tablename__ = "kpi_webhook_delivery"

    # The partner's officer first: the tenant in the key (tests/unit/test_tenant_keys.py).
    officer_id: str = Field(primary_key=True, max_length=100)
    partner_id: UUID = Field(primary_key=True)
    webhook_id: str = Field(primary_key=True, max_length=200)
    received_at: datetime = Field(default_factory=_now, index=True)


class KpiPartnerDelivery(SQLModel, table=True):
    """What became of one signed request of a known partner, for its delivery console.

    Only ids, counts and a reason from kpi's own vocabulary (services.kpi.deliveries): no body.
    """

    __tablename__ = "kpi_partner_delivery"

    officer_id: str = Field(primary_key=True, max_length=100)  # the partner's: the tenant in the key
    id: UUID = Field(primary_key=True)
    partner_id: UUID = Field(index=True)
    webhook_id: str = Field(max_length=100)
    received_at: datetime = Field(index=True)
    outcome: str = Field(max_length=20)  # accepted, duplicate, refused
    reason: str | None = Field(default=None, max_length=40)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


class KpiPartnerLastEvent(SQLModel, table=True):
    """When a partner's last new event of each type arrived."""

    __tablename__ = "kpi_partner_last_event"

    officer_id: str = Field(primary_key=True, max_length=100)  # the partner's: the tenant in the key
    partner_id: UUID = Field(primary_key=True)
    event_type: str = Field(primary_key=True, max_length=80)
    received_at: datetime
    occurred_at: datetime


class KpiPartnerEventReceipt(SQLModel, table=True):
    """An event id a partner sent over HTTP and we accepted: the same partner sending it again
    is answered "duplicate". Ids are per partner: another partner's "1" is a different event."""

    __tablename__ = "kpi_partner_event_receipt"

    officer_id: str = Field(primary_key=True, max_length=100)  # the partner's: the tenant in the key
    partner_id: UUID = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=100)
    received_at: datetime = Field(default_factory=_now)


class FieldProblemPublic(BaseModel):
    field: str
    reason: str


class EventResult(BaseModel):
    """What became of one event of a batch."""

    index: int
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    errors: list[FieldProblemPublic] = Field(default_factory=list)  # not a copied default: cheaper


class IngestionReport(BaseModel):
    """The answer to a batch: counts, and a result per event in the order sent.

    `redelivery` is true when this webhook-id was received before (a sender's retry): its
    events were accepted then, so they are duplicates now, and nothing is stored twice.
    """

    accepted: int
    duplicates: int
    rejected: int
    redelivery: bool = False
    results: list[EventResult]


# --- aggregates (the hot path writes these) -----------------------------------------------


class KpiDailyCounter(SQLModel, table=True):
    """One counter of one clinic on one day (the event's own date), e.g. calls_missed = 7."""

    __tablename__ = "kpi_daily_counter"
    __table_args__ = PARTITION_BY  # one partition a month on PostgreSQL (services.kpi.partitions)

    clinic_id: UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    name: str = Field(primary_key=True, max_length=60)
    value: float = 0.0


class KpiDailyStaff(SQLModel, table=True):
    """AI-tool use of one pseudonymous staff member at one clinic on one day."""

    __tablename__ = "kpi_daily_staff"
    __table_args__ = PARTITION_BY  # one partition a month on PostgreSQL (services.kpi.partitions)

    clinic_id: UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    staff_id: str = Field(primary_key=True, max_length=64)
    minutes: float = 0.0
    sessions: int = 0


class KpiDailyClinicianNotes(SQLModel, table=True):
    """Notes one pseudonymous clinician signed at one clinic on one day: the per-clinician KPIs' sums."""

    __tablename__ = "kpi_daily_clinician_notes"
    __table_args__ = PARTITION_BY  # one partition a month on PostgreSQL (services.kpi.partitions)

    clinic_id: UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    staff_id: str = Field(primary_key=True, max_length=64)
    notes: int = 0
    minutes: float = 0.0
    ai_assisted: int = 0


# --- initiatives, snapshots, alerts -------------------------------------------------------


class KpiInitiative(SQLModel, table=True):
    """An approved initiative: the KPI to watch, its baseline window and target."""

    __tablename__ = "kpi_initiative"

    # The clinic first in every key (the tenant: tests/unit/test_tenant_keys.py).
    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True)
    kpi: str = Field(max_length=60)
    baseline_start: date
    baseline_end: date
    target_change_pct: float
    # The plan's word on its target after approval (roadmap.plan.target-set.v1): when it last spoke,
    # and why the target cannot be met from the measured baseline (then no target line is drawn).
    target_set_at: datetime | None = None
    target_problem: str = Field(default="", max_length=500)
    pilot_group: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pilot_started_on: date | None = None
    approved_at: datetime
    active: bool = True


class KpiSnapshotRecord(SQLModel, table=True):
    """A weekly snapshot already sent for an initiative (so each week goes out once)."""

    __tablename__ = "kpi_snapshot_record"

    clinic_id: UUID = Field(primary_key=True)
    initiative_id: UUID = Field(primary_key=True)
    week: str = Field(primary_key=True, max_length=10)
    kpi: str = Field(max_length=60)
    value: float | None = None
    baseline: float | None = None
    target: float | None = None
    progress: float | None = None
    sample_size: int = 0
    # The sums behind `value` as sent (kpi.snapshot.v1's counts), and whether it was a baseline week.
    events: float | None = None
    total: float | None = None
    baseline_week: bool = False
    sent_at: datetime = Field(default_factory=_now)


class KpiAlertRecord(SQLModel, table=True):
    """An alert raised (and published on kpi.alert.v1), with its evidence."""

    __tablename__ = "kpi_alert"

    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True)
    initiative_id: UUID | None = None
    kind: str = Field(max_length=40)
    kpi: str = Field(max_length=60)
    metric: str = Field(max_length=60)
    week: str = Field(max_length=10)
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raised_at: datetime = Field(default_factory=_now)


class KpiClinicActivityRecord(SQLModel, table=True):
    """The clinic activity last published (kpi.clinic.activity.v1), so an unchanged one is not sent again."""

    __tablename__ = "kpi_clinic_activity"

    clinic_id: UUID = Field(primary_key=True)
    digest: str = Field(max_length=64)
    sent_at: datetime = Field(default_factory=_now)


# --- read API -----------------------------------------------------------------------------


class KpiPoint(BaseModel):
    """One KPI for one day or ISO week; `value` is None with `no_data` saying why."""

    period: str
    value: float | None
    sample_size: int
    no_data: str | None = None
    progress: float | None = None


class KpiSeries(BaseModel):
    name: KpiName
    title: str
    unit: str
    better: str
    baseline: float | None = None
    target: float | None = None
    points: list[KpiPoint]


class InitiativePublic(BaseModel):
    id: UUID
    kpi: str
    baseline_start: date
    baseline_end: date
    target_change_pct: float
    target_problem: str = ""
    pilot_group_size: int
    active: bool


class ClinicKpis(BaseModel):
    """A clinic's KPI series, with the active initiative's baseline and target."""

    clinic_id: UUID
    granularity: Literal["day", "week"]
    start: date
    end: date
    initiative: InitiativePublic | None
    kpis: list[KpiSeries]


class AlertPublic(BaseModel):
    id: UUID
    initiative_id: UUID | None
    kind: str
    kpi: str
    metric: str
    week: str
    message: str
    evidence: dict[str, Any]
    raised_at: datetime


class EvaluationReport(BaseModel):
    """What one evaluation run sent: snapshots (initiative, week) and alerts."""

    snapshots: list[str]
    alerts: list[AlertPublic]


metadata = service_metadata(
    KpiClinic,
    KpiPartner,
    KpiPartnerClinic,
    KpiWebhookDelivery,
    KpiPartnerDelivery,
    KpiPartnerLastEvent,
    KpiPartnerEventReceipt,
    KpiDailyCounter,
    KpiDailyStaff,
    KpiDailyClinicianNotes,
    KpiInitiative,
    KpiSnapshotRecord,
    KpiAlertRecord,
    KpiClinicActivityRecord,
    OutboxMessage,
    InboxMessage,
    Lease,
    RateCount,
)
