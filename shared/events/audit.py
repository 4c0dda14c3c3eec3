"""Events the audit service publishes."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody

# A week of a clinic's logged work: a large practice logs a few thousand hours, never millions.
MAX_HOURS = 1_000_000.0
MAX_DOLLARS = 1_000_000_000.0


class AutomationCandidate(EventBody):
    """Repetitive, predictable, time-heavy work worth automating, priced per week."""

    rank: int = Field(ge=1, le=100)
    category: str = Field(max_length=60)
    solution: str = Field(max_length=200, description="the kind of solution that fits, e.g. AI scribe")
    hours_per_week: float = Field(ge=0, le=MAX_HOURS)
    cost_per_week: float = Field(ge=0, le=MAX_DOLLARS)
    predictability: float = Field(ge=0, le=1)
    score: float = Field(ge=0, le=MAX_DOLLARS)
    hours_saved_low: float = Field(ge=0, le=MAX_HOURS)
    hours_saved_high: float = Field(ge=0, le=MAX_HOURS)
    roles: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list, max_length=30, description="roles whose time goes to this work"
    )
    # A count, never the tasks as logged: descriptions are free text, and free text stays in audit's
    # own database (its findings show them to the officer), out of every topic.
    distinct_tasks: int = Field(
        default=0, ge=0, le=100_000, description="how many different tasks of the category were logged"
    )
    occurrences_per_week: float = Field(
        default=0,
        ge=0,
        le=10_000_000,
        allow_inf_nan=False,
        description="how often the category's tasks happen a week (e.g. notes written): a volume until "
        "the KPI feed's baseline measures one",
    )


class AuditOpened(EventBody):
    """An audit window opened: staff log their tasks from starts_on to ends_on (both included)."""

    topic = topics.AUDIT_OPENED

    clinic_id: UUID
    audit_id: UUID
    starts_on: date
    ends_on: date
    opened_at: datetime


class AuditCompleted(EventBody):
    """A one-week task audit closed; its automation candidates, best first.

    window_start and window_end are the first and the last logged day (both included).
    """

    topic = topics.AUDIT_COMPLETED

    clinic_id: UUID
    audit_id: UUID
    window_start: date
    window_end: date
    total_hours_per_week: float = Field(ge=0, le=MAX_HOURS)
    total_cost_per_week: float = Field(ge=0, le=MAX_DOLLARS)
    low_confidence: bool
    candidates: list[AutomationCandidate] = Field(max_length=20)
    completed_at: datetime
    repetitiveness_score: float | None = Field(default=None, ge=0, le=100)
    staff_logged: int | None = Field(default=None, ge=0, le=100_000)
    staff_expected: int | None = Field(default=None, ge=0, le=100_000)
    missing_staff: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list,
        max_length=30,
        description="per role, how many staff did not log, e.g. 'physician: 2 of 4'",
    )
    close_reason: str | None = Field(
        default=None, max_length=200, description="window ended, or closed early"
    )
