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
    staff: list[StaffRole] = Field(default_factory=list)
    systems: dict[str, str] = Field(
        default_factory=dict, description="kind of system (emr, phone, ...) -> vendor name"
    )


class ClinicUpdated(EventBody):
    """An officer changed a clinic's profile; carries the whole profile so consumers can upsert."""

    topic = topics.CLINIC_UPDATED

    clinic_id: UUID
    officer_id: str
    name: str
    specialty: str
    locations: int = Field(ge=1)
    staff: list[StaffRole] = Field(default_factory=list)
    systems: dict[str, str] = Field(default_factory=dict)
    changed: list[str] = Field(default_factory=list, description="the profile fields this update changed")
    updated_at: datetime


class ClinicArchived(EventBody):
    """A clinic left the officer's active portfolio; its history is kept."""

    topic = topics.CLINIC_ARCHIVED

    clinic_id: UUID
    officer_id: str
    archived_at: datetime


class OfficerTokensRevoked(EventBody):
    """An officer's earlier tokens were revoked: tokens below `token_version` must be refused."""

    topic = topics.OFFICER_TOKENS_REVOKED

    officer_id: str = Field(min_length=1, max_length=100)
    token_version: int = Field(ge=1, description="the lowest token version still valid")
    revoked_at: datetime


ReadinessLevel = Literal["not_ready", "foundational", "ready", "advanced"]


class ReadinessGap(EventBody):
    """One of the largest gaps of an assessment, with the concrete next step."""

    dimension: str
    score: float = Field(ge=0, le=100)
    next_action: str
    question_id: str | None = Field(default=None, description="the question the next action answers")


class AssessmentCompleted(EventBody):
    """An AI Readiness Assessment was scored: 0-100 per dimension and overall."""

    topic = topics.ASSESSMENT_COMPLETED

    clinic_id: UUID
    assessment_id: UUID
    questionnaire_version: str
    overall_score: float = Field(ge=0, le=100)
    level: ReadinessLevel
    dimension_scores: dict[str, float]
    top_gaps: list[ReadinessGap] = Field(default_factory=list)
    completed_at: datetime
    officer_id: str | None = None
    # The overall score of the clinic's previous assessment, so consumers can show progress.
    previous_overall_score: float | None = Field(default=None, ge=0, le=100)
