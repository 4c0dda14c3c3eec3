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


class AuditCompleted(EventBody):
    """A one-week task audit closed; its automation candidates, best first."""

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
