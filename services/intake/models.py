"""Intake's tables and API schemas: officers, clinics, assessments (purchase reviews: their own module)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, EmailStr, field_validator
from sqlalchemy import JSON, Column, ForeignKey, Uuid
from sqlmodel import Field, SQLModel

from services.intake.prospects.tables import ProspectInvite, ProspectLead
from services.intake.purchase_review_models import PurchaseReview
from shared import clock
from shared.auth import FIRST_TOKEN_VERSION
from shared.calendar import (
    DEFAULT_TIME_ZONE,
    MONDAY_TO_FRIDAY,
    CalendarColumns,
    HolidayCalendar,
    TimeZoneName,
    Weekday,
)
from shared.db import service_metadata
from shared.events.intake import MAX_ROLES, ReadinessGap, ReadinessLevel, StaffRole, Systems
from shared.free_text import FreeText
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.names import Name
from shared.outbox import OutboxMessage
from shared.rate_counts import RateCount


def _now() -> datetime:
    return clock.now()


# --- officers -------------------------------------------------------------------------------


class Officer(SQLModel, table=True):
    """A fractional AI officer; the id is the subject of their bearer tokens."""

    __tablename__ = "intake_officer"

    id: str = Field(default_factory=lambda: str(uuid4()), primary_key=True, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(unique=True, max_length=320)
    created_at: datetime = Field(default_factory=_now)
    # Tokens carry the version they were issued at; revoking bumps it and older tokens fail.
    token_version: int = Field(default=FIRST_TOKEN_VERSION, ge=1)
    # The zone a new clinic gets when the officer names none (set once, PATCH /v1/officers/me).
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=64)


class OfficerEmail(BaseModel):
    """Names an existing officer by email (token, revocation and sign-in requests)."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr

    @field_validator("email")
    @classmethod
    def _lowercase(cls, email: str) -> str:
        # One officer per mailbox, however it is typed.
        return email.lower()


class OfficerCreate(OfficerEmail):
    """Body of POST /v1/officers."""

    name: Name = Field(min_length=1, max_length=200)
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE


class OfficerSettings(BaseModel):
    """Body of PATCH /v1/officers/me: the officer's own settings."""

    model_config = ConfigDict(extra="forbid")

    time_zone: TimeZoneName = Field(description="the zone a new clinic gets unless it names its own")


class TokenRequest(OfficerEmail):
    """Body of POST /v1/officers/tokens: a new token, optionally revoking every earlier one."""

    revoke_previous: bool = Field(default=False, description="refuse every token issued before this one")


class OfficerPublic(BaseModel):
    """Who a token belongs to (GET /v1/officers/me)."""

    id: str
    name: str
    time_zone: str = DEFAULT_TIME_ZONE


class OfficerAccount(BaseModel):
    """An officer as officer administration sees it (never a token)."""

    id: str
    name: str
    email: str
    created_at: datetime
    token_version: int
    time_zone: str


class OfficerToken(BaseModel):
    """A bearer token, shown once: intake keeps no copy."""

    officer: OfficerAccount
    token: str
    expires_at: datetime


class TokensRevoked(BaseModel):
    officer: OfficerAccount
    detail: str


class SignInLink(BaseModel):
    """A one-time portal sign-in link (15 minutes)."""

    officer_id: str
    url: str
    expires_at: datetime


# --- clinics --------------------------------------------------------------------------------

# The clinic events' own bounds, so an accepted request always makes a publishable event.
SystemKinds = Systems
StaffRoles = Annotated[list[StaffRole], Field(max_length=MAX_ROLES)]


def _clean_systems(systems: dict[str, str]) -> dict[str, str]:
    """Kinds of system are compared case-insensitively (EMR == emr); vendors keep their spelling."""
    cleaned: dict[str, str] = {}
    for kind, vendor in systems.items():
        key, value = kind.strip().lower(), vendor.strip()
        if not key or not value:
            raise ValueError("a system needs a kind (emr, phone, ...) and a vendor name")
        cleaned[key] = value
    return cleaned


def _distinct_roles(staff: list[StaffRole]) -> list[StaffRole]:
    """One entry per role: audit prices every task by its role's hourly cost, so it must be unambiguous."""
    seen: set[str] = set()
    for member in staff:
        key = member.role.strip().lower()
        if key in seen:
            raise ValueError(f"role {member.role!r} is listed twice; give it once with its total head-count")
        seen.add(key)
    return staff


class ClinicBase(SQLModel):
    """What an officer tells us about a practice."""

    name: str = Field(min_length=1, max_length=200)
    specialty: str = Field(min_length=1, max_length=100)
    locations: int = Field(default=1, ge=1, le=500)
    notes: str = Field(default="", max_length=2000)


class ClinicCreate(ClinicBase):
    """Body of POST /v1/clinics; unknown fields are refused so typos never vanish."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    # Names from a person: one line of visible text (stored rows are read back without the check).
    name: Name = Field(min_length=1, max_length=200)
    specialty: Name = Field(min_length=1, max_length=100)
    notes: FreeText = Field(default="", max_length=2000, description="no patient details")
    staff: StaffRoles = Field(default_factory=list, description="staff by role: head-count and hourly cost")
    systems: SystemKinds = Field(
        default_factory=dict,
        description="systems in use, kind -> vendor: emr, phone, scheduling, messaging, or any other kind",
    )

    time_zone: TimeZoneName | None = Field(
        default=None, description="IANA time zone, e.g. America/Los_Angeles; the officer's own if omitted"
    )
    open_days: list[Weekday] = Field(default=list(MONDAY_TO_FRIDAY), min_length=1, max_length=7)
    holidays: HolidayCalendar = Field(
        default="", description='public holidays it closes on: a country or region, "US", "US-CA", "DE-BY"'
    )
    closures: list[date] = Field(default_factory=list, max_length=400, description="other days it is closed")

    _systems = field_validator("systems")(_clean_systems)
    _staff = field_validator("staff")(_distinct_roles)


class ClinicUpdate(SQLModel):
    """Body of PATCH /v1/clinics/{id}: only the fields given change."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    name: Name | None = Field(default=None, min_length=1, max_length=200)
    specialty: Name | None = Field(default=None, min_length=1, max_length=100)
    locations: int | None = Field(default=None, ge=1, le=500)
    notes: FreeText | None = Field(default=None, max_length=2000, description="no patient details")
    staff: StaffRoles | None = None
    systems: SystemKinds | None = None
    time_zone: TimeZoneName | None = None
    open_days: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)
    holidays: HolidayCalendar | None = None
    closures: list[date] | None = Field(default=None, max_length=400)

    @field_validator("systems")
    @classmethod
    def _systems(cls, systems: dict[str, str] | None) -> dict[str, str] | None:
        return None if systems is None else _clean_systems(systems)

    @field_validator("staff")
    @classmethod
    def _staff(cls, staff: list[StaffRole] | None) -> list[StaffRole] | None:
        return None if staff is None else _distinct_roles(staff)


class Clinic(ClinicBase, CalendarColumns, table=True):
    """A practice in an officer's portfolio."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    officer_id: str = Field(index=True, max_length=100)
    staff: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    systems: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime | None = Field(default=None)
    archived_at: datetime | None = Field(default=None, index=True)
    # The latest assessment's result, kept on the clinic so the list can filter and sort by it.
    readiness_level: str | None = Field(default=None, max_length=20, index=True)
    readiness_score: float | None = Field(default=None)


class ClinicPublic(ClinicBase):
    """A clinic as the API returns it."""

    id: UUID
    officer_id: str
    staff: list[StaffRole]
    systems: dict[str, str]
    created_at: datetime
    updated_at: datetime | None
    archived_at: datetime | None
    readiness_level: ReadinessLevel | None
    readiness_score: float | None
    time_zone: str
    open_days: list[Weekday]
    holidays: str
    closures: list[date]


class ClinicPage(BaseModel):
    """One page of the officer's clinics, with the total that match the filters."""

    items: list[ClinicPublic]
    total: int
    limit: int
    offset: int


# --- the questionnaire (versioned data in questionnaire/*.yaml) ----------------------------


class AnswerOption(BaseModel):
    """One choice of a `choice` question and the points it scores."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    points: int = Field(ge=0, le=4)


class Question(BaseModel):
    """A question: a choice among options, or a 0-4 scale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    dimension: str
    text: str
    type: Literal["choice", "scale"]
    options: list[AnswerOption] = Field(default_factory=list)
    scale: list[str] = Field(default_factory=list, description="labels of 0..4 for a scale question")
    next_action: str = Field(description="the concrete step when this question scores low")

    @property
    def max_points(self) -> int:
        return max(option.points for option in self.options) if self.type == "choice" else 4


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str


class LevelThreshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: ReadinessLevel
    min: float = Field(ge=0, le=100)


class LevelGate(BaseModel):
    """A dimension so low that the overall level is capped, whatever the other scores."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension: str
    below: float
    max_level: ReadinessLevel
    reason: str


class Questionnaire(BaseModel):
    """The AI Readiness Assessment as served by GET /v1/assessment/questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    title: str
    levels: list[LevelThreshold]
    gates: list[LevelGate] = Field(default_factory=list)
    dimensions: list[Dimension]
    questions: list[Question] = Field(min_length=15, max_length=25)


# --- assessments ----------------------------------------------------------------------------

AnswerValue = int | str
# What a request may carry: a questionnaire has at most 25 questions, each answered by a short id or 0-4.
QuestionId = Annotated[str, Field(min_length=1, max_length=60)]
SubmittedAnswer = Annotated[int, Field(ge=-1_000, le=1_000)] | Annotated[str, Field(max_length=60)]
MAX_ANSWERS = 50


class AssessmentSubmit(BaseModel):
    """Body of POST /v1/clinics/{id}/assessments: question id -> option id (choice) or 0-4 (scale)."""

    model_config = ConfigDict(extra="forbid")

    questionnaire_version: str | None = Field(
        default=None, max_length=20, description="defaults to the current version"
    )
    answers: dict[QuestionId, SubmittedAnswer] = Field(max_length=MAX_ANSWERS)

    @field_validator("answers", mode="before")
    @classmethod
    def _as_written_in_yaml(cls, answers: Any) -> Any:
        """YAML reads yes/no as booleans and a blank answer as null: keep what the person meant."""
        if not isinstance(answers, dict):
            return answers
        return {
            question: ("yes" if answer else "no") if isinstance(answer, bool) else answer
            for question, answer in answers.items()
            if answer is not None  # left blank: scoring names it as not answered
        }


class Assessment(SQLModel, table=True):
    """One scored assessment; a clinic keeps all of them so progress shows over time."""

    __tablename__ = "intake_assessment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    clinic_id: UUID = Field(sa_column=Column(Uuid, ForeignKey("clinic.id"), index=True, nullable=False))
    officer_id: str = Field(max_length=100)
    questionnaire_version: str = Field(max_length=20)
    answers: dict[str, AnswerValue] = Field(sa_type=JSON)
    dimension_scores: dict[str, float] = Field(sa_type=JSON)
    overall_score: float
    level: str = Field(max_length=20)
    level_capped_by: str | None = Field(default=None, max_length=500)
    top_gaps: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    completed_at: datetime = Field(default_factory=_now, index=True)


class AssessmentPublic(BaseModel):
    """A scored assessment as the API returns it."""

    id: UUID
    clinic_id: UUID
    questionnaire_version: str
    answers: dict[str, AnswerValue]
    dimension_scores: dict[str, float]
    overall_score: float
    level: ReadinessLevel
    level_capped_by: str | None
    top_gaps: list[ReadinessGap]
    completed_at: datetime
    change_from_previous: float | None = Field(
        default=None, description="overall score minus the previous assessment's, when there is one"
    )


metadata = service_metadata(
    Officer,
    Clinic,
    Assessment,
    PurchaseReview,
    ProspectInvite,
    ProspectLead,
    OutboxMessage,
    InboxMessage,
    Lease,
    RateCount,
)
