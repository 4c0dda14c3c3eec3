"""Events the intake service publishes."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared import topics
from shared.calendar import ClinicCalendar
from shared.events.envelope import EventBody

OfficerId = Annotated[str, Field(min_length=1, max_length=100)]
MAX_ROLES = 30
# Kind of system (emr, phone, ...) -> vendor name; a clinic uses a handful.
Systems = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=40)], Annotated[str, Field(max_length=100)]],
    Field(max_length=20),
]


class StaffRole(EventBody):
    """How many people in one role, and what an hour of their time costs."""

    role: str = Field(min_length=1, max_length=60)
    headcount: int = Field(ge=0, le=10_000)
    hourly_cost: float = Field(ge=0, le=10_000, description="loaded cost of one hour, in dollars")


class ClinicProfile(EventBody):
    """What intake knows of a clinic, as both clinic events carry it whole (consumers upsert)."""

    clinic_id: UUID
    officer_id: OfficerId
    name: str = Field(min_length=1, max_length=200)
    specialty: str = Field(min_length=1, max_length=100)
    locations: int = Field(ge=1, le=500)
    staff: list[StaffRole] = Field(default_factory=list, max_length=MAX_ROLES)
    systems: Systems = Field(
        default_factory=dict, description="kind of system (emr, phone, ...) -> vendor name"
    )
    calendar: ClinicCalendar = Field(
        default_factory=ClinicCalendar, description="its time zone, open days, public holidays, closures"
    )


class ClinicRegistered(ClinicProfile):
    """A clinic joined an officer's portfolio."""

    topic = topics.CLINIC_REGISTERED


class ClinicUpdated(ClinicProfile):
    """An officer changed a clinic's profile; carries the whole profile so consumers can upsert."""

    topic = topics.CLINIC_UPDATED

    changed: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="the profile fields this update changed"
    )
    updated_at: datetime


class ClinicArchived(EventBody):
    """A clinic left the officer's active portfolio; its history is kept."""

    topic = topics.CLINIC_ARCHIVED

    clinic_id: UUID
    officer_id: OfficerId
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

    dimension: str = Field(max_length=60)
    score: float = Field(ge=0, le=100)
    next_action: str = Field(max_length=1000)
    question_id: str | None = Field(
        default=None, max_length=60, description="the question the next action answers"
    )


class AssessmentCompleted(EventBody):
    """An AI Readiness Assessment was scored: 0-100 per dimension and overall."""

    topic = topics.ASSESSMENT_COMPLETED

    clinic_id: UUID
    assessment_id: UUID
    questionnaire_version: str = Field(max_length=20)
    overall_score: float = Field(ge=0, le=100)
    level: ReadinessLevel
    dimension_scores: dict[Annotated[str, Field(max_length=60)], Annotated[float, Field(ge=0, le=100)]] = (
        Field(max_length=20)
    )
    top_gaps: list[ReadinessGap] = Field(default_factory=list, max_length=10)
    completed_at: datetime
    officer_id: OfficerId | None = None
    # The overall score of the clinic's previous assessment, so consumers can show progress.
    previous_overall_score: float | None = Field(default=None, ge=0, le=100)
