"""Events the intake service publishes."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody


class StaffRole(EventBody):
    """How many people in one role, and what an hour of their time costs."""

    role: str = Field(min_length=1, max_length=60)
    headcount: int = Field(ge=0)
    hourly_cost: float = Field(ge=0)


class ClinicRegistered(EventBody):
    """A clinic joined an officer's portfolio."""

    topic = topics.CLINIC_REGISTERED

    clinic_id: UUID
    officer_id: str
    name: str
    specialty: str
    locations: int = Field(ge=1)
    staff: list[StaffRole] = []
    systems: dict[str, str] = Field(
        default_factory=dict, description="kind of system (emr, phone, ...) -> vendor name"
    )


ReadinessLevel = Literal["not_ready", "foundational", "ready", "advanced"]


class ReadinessGap(EventBody):
    """One of the largest gaps of an assessment, with the concrete next step."""

    dimension: str
    score: float = Field(ge=0, le=100)
    next_action: str


class AssessmentCompleted(EventBody):
    """An AI Readiness Assessment was scored: 0-100 per dimension and overall."""

    topic = topics.ASSESSMENT_COMPLETED

    clinic_id: UUID
    assessment_id: UUID
    questionnaire_version: str
    overall_score: float = Field(ge=0, le=100)
    level: ReadinessLevel
    dimension_scores: dict[str, float]
    top_gaps: list[ReadinessGap] = []
    completed_at: datetime
