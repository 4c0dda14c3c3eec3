"""Intake's prospect tables: invite links and the leads that answered the short assessment.

Apart from the API schemas (models.py beside it) so models.py can list them in intake's metadata
without importing anything that imports it.
"""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from shared import clock


def _now() -> datetime:
    return clock.now()


class ProspectInvite(SQLModel, table=True):
    """One invite link; the signed token names this row, so revoking the row refuses the token."""

    __tablename__ = "intake_prospect_invite"

    # The officer first in the key (the tenant: tests/unit/test_tenant_keys.py); the invite's link
    # names its officer too, so even an anonymous prospect's request finds the row by both.
    officer_id: str = Field(primary_key=True, max_length=100)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime
    revoked_at: datetime | None = None


class ProspectLead(SQLModel, table=True):
    """A prospect that answered the short form: a lead in the officer's list until converted."""

    __tablename__ = "intake_prospect_lead"

    officer_id: str = Field(primary_key=True, max_length=100)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    invite_id: UUID = Field(index=True)
    questionnaire_version: str = Field(max_length=20)
    answers: dict[str, int | str] = Field(sa_type=JSON)
    dimension_scores: dict[str, float] = Field(sa_type=JSON)
    overall_score: float
    level: str = Field(max_length=20)
    consent: bool = False
    # Only with consent; otherwise these stay empty.
    practice_name: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    submitted_at: datetime = Field(default_factory=_now, index=True)
    clinic_id: UUID | None = Field(default=None, index=True)
    converted_at: datetime | None = None
