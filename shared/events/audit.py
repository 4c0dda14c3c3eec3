"""Events the audit service publishes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody


class AutomationCandidate(EventBody):
    """Repetitive, predictable, time-heavy work worth automating, priced per week."""

    rank: int = Field(ge=1)
    category: str
    solution: str = Field(description="the kind of solution that fits, e.g. AI scribe")
    hours_per_week: float = Field(ge=0)
    cost_per_week: float = Field(ge=0)
    predictability: float = Field(ge=0, le=1)
    score: float = Field(ge=0)
    hours_saved_low: float = Field(ge=0)
    hours_saved_high: float = Field(ge=0)
    roles: list[str] = Field(default_factory=list, description="roles whose time goes to this work")
    top_tasks: list[str] = Field(
        default_factory=list, description="the most time-consuming tasks of the category, as logged"
    )


class AuditCompleted(EventBody):
    """A one-week task audit closed; its automation candidates, best first.

    window_start and window_end are the first and the last logged day (both included).
    """

    topic = topics.AUDIT_COMPLETED

    clinic_id: UUID
    audit_id: UUID
    window_start: date
    window_end: date
    total_hours_per_week: float = Field(ge=0)
    total_cost_per_week: float = Field(ge=0)
    low_confidence: bool
    candidates: list[AutomationCandidate]
    completed_at: datetime
    repetitiveness_score: float | None = Field(default=None, ge=0, le=100)
    staff_logged: int | None = Field(default=None, ge=0)
    staff_expected: int | None = Field(default=None, ge=0)
    missing_staff: list[str] = Field(
        default_factory=list, description="per role, how many staff did not log, e.g. 'physician: 2 of 4'"
    )
    close_reason: str | None = Field(default=None, description="window ended, or closed early")
