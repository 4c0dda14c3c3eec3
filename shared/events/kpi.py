"""Events the KPI monitoring service publishes, and the KPI names every service shares."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody

KpiName = Literal[
    "missed_call_rate",
    "documentation_minutes_per_note",
    "messages_answered_within_business_day",
    "median_message_response_minutes",
    "appointment_conversion",
    "no_show_rate",
    "ai_weekly_active_staff",
    "ai_adoption_rate",
    "ai_assisted_note_share",
    "minutes_per_eligibility_check",
    "claim_denial_rate",
    "referral_completion_rate",
]


class KpiSnapshot(EventBody):
    """A KPI's value for one clinic and ISO week, against its baseline and target."""

    topic = topics.KPI_SNAPSHOT

    clinic_id: UUID
    initiative_id: UUID | None = None
    kpi: KpiName
    week: str = Field(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W48")
    value: float | None = Field(description="None when the week had no data")
    baseline: float | None = None
    target: float | None = None
    progress: float | None = Field(
        default=None, description="share of the way from baseline to target: 0 = baseline, 1 = target met"
    )
    sample_size: int = Field(ge=0)


class KpiAlert(EventBody):
    """Something an officer must look at, with the numbers that triggered it."""

    topic = topics.KPI_ALERT

    clinic_id: UUID
    initiative_id: UUID | None = None
    alert_id: UUID
    kind: Literal["adoption_decline", "target_regression", "feed_stale"]
    kpi: KpiName
    week: str = Field(pattern=r"^\d{4}-W\d{2}$")
    message: str = Field(max_length=1000)
    evidence: dict[
        Annotated[str, Field(max_length=60)], float | Annotated[str, Field(max_length=200)] | None
    ] = Field(max_length=40)
    raised_at: datetime
