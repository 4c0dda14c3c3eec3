"""Prospects: invite links an officer sends, and the leads that answer the short assessment.

A prospect practice has no account: it opens an invite link (shared/public_links.py), answers
the short form and sees its scores. What it types beyond option ids (its contact details) is
kept only with its consent, only here, and never in an event.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, model_validator
from pydantic import Field as PydanticField
from sqlmodel import Field

from services.intake.models import Dimension, Question, SubmittedAnswer
from shared.events.intake import ReadinessLevel
from shared.names import Name

DEFAULT_INVITE_DAYS = 14
MAX_INVITE_DAYS = 90


# --- invite links -------------------------------------------------------------------------


class ProspectInviteCreate(BaseModel):
    """Body of POST /v1/prospect-invites."""

    model_config = ConfigDict(extra="forbid")

    label: Name = Field(
        default="",
        max_length=100,
        description="the officer's own reminder of whom the link is for (shown only to the officer)",
    )
    expires_in_days: int = Field(default=DEFAULT_INVITE_DAYS, ge=1, le=MAX_INVITE_DAYS)


class ProspectInvitePublic(BaseModel):
    """An invite as the officer sees it; `url` and `token` only when it is made."""

    id: UUID
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    leads: int = 0
    url: str | None = None
    token: str | None = None


# --- the public form ----------------------------------------------------------------------


class ProspectForm(BaseModel):
    """What the portal needs to show the short assessment: the questions and a fill-time stamp."""

    title: str
    questionnaire_version: str
    dimensions: list[Dimension]
    questions: list[Question]
    form_stamp: str
    expires_at: datetime
    minutes: int = Field(description="how long the form takes, as promised to the prospect")


class ProspectContact(BaseModel):
    """Who to call back: stored only when `consent` is given."""

    model_config = ConfigDict(extra="forbid")

    practice_name: Name = Field(default="", max_length=200)
    contact_name: Name = Field(default="", max_length=200)
    email: EmailStr | None = None
    phone: str = PydanticField(default="", max_length=40, pattern=r"^[0-9 +().\-]*$")

    @property
    def given(self) -> bool:
        return bool(
            self.practice_name.strip() or self.contact_name.strip() or self.email or self.phone.strip()
        )


class ProspectSubmit(BaseModel):
    """Body of POST /v1/public/prospect-form: option ids (or 0-4) per question, consent, bot checks."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[Annotated[str, Field(min_length=1, max_length=60)], SubmittedAnswer] = Field(max_length=12)
    consent: bool = Field(default=False, description="may the officer keep the contact details and call back")
    contact: ProspectContact = Field(default_factory=ProspectContact)
    website: str = Field(default="", max_length=200, description="leave empty (a field people never see)")
    form_stamp: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _contact_needs_consent(self) -> "ProspectSubmit":
        if self.contact.given and not self.consent:
            raise ValueError(
                "consent: tick the consent box to let the officer keep your contact details, "
                "or leave the contact fields empty"
            )
        return self


class DimensionScore(BaseModel):
    dimension: str
    label: str
    score: float


class ProspectResult(BaseModel):
    """What the prospect sees once they send the form: a score per dimension and three next steps."""

    lead_id: UUID
    overall_score: float
    level: ReadinessLevel
    level_capped_by: str | None
    scores: list[DimensionScore]
    next_steps: list[str] = Field(min_length=3, max_length=3)
    contact_kept: bool


# --- leads --------------------------------------------------------------------------------


class ProspectLeadPublic(BaseModel):
    """A lead as the officer sees it."""

    id: UUID
    invite_id: UUID
    invite_label: str = ""
    questionnaire_version: str
    answers: dict[str, int | str]
    dimension_scores: dict[str, float]
    overall_score: float
    level: ReadinessLevel
    consent: bool
    practice_name: str
    contact_name: str
    email: str
    phone: str
    submitted_at: datetime
    clinic_id: UUID | None
    converted_at: datetime | None


class LeadConversion(BaseModel):
    """Body of POST /v1/prospects/{id}/convert: the clinic's name defaults to the consented practice name."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(default="", max_length=200, description="defaults to the practice name the lead gave")
    specialty: str = Field(default="general practice", min_length=1, max_length=100)
    locations: int = Field(default=1, ge=1, le=500)


class AssessmentDraft(BaseModel):
    """A clinic's full assessment, begun with what its prospect form answered."""

    clinic_id: UUID
    lead_id: UUID
    questionnaire_version: str
    answers: dict[str, int | str]
    missing: list[str] = Field(description="question ids the full assessment still asks")
