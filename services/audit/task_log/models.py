"""Staff log their own audit week: a link per audit, a roster of pseudonyms, a form for a phone.

A staff member has no account: they open the audit's link (shared/public_links.py), pick their
pseudonym from the roster and log one task with a few taps. Nothing is typed but numbers: the
entry's description is its category's name, and tools are picked from a short list.
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField

from services.audit.models import Predictability, TaskCategory
from shared.pseudonyms import StaffPseudonym

MAX_ROSTER = 200
# The tools a phone form offers: picked, never typed.
TOOLS = ("phone", "EMR", "email", "fax", "paper", "patient portal", "spreadsheet")
Tool = Literal["phone", "EMR", "email", "fax", "paper", "patient portal", "spreadsheet"]
CATEGORY_LABELS = {
    TaskCategory.patient_communication: "Patient communication",
    TaskCategory.appointment_scheduling: "Appointment scheduling",
    TaskCategory.documentation: "Documentation",
    TaskCategory.insurance_verification: "Insurance verification",
    TaskCategory.follow_up_calls: "Follow-up calls",
    TaskCategory.referral_coordination: "Referral coordination",
    TaskCategory.marketing: "Marketing",
    TaskCategory.billing: "Billing",
    TaskCategory.internal_admin: "Internal admin",
    TaskCategory.other: "Other",
}
PREDICTABILITY_LABELS = {
    Predictability.always_same: "Always the same steps",
    Predictability.mostly_same: "Mostly the same",
    Predictability.varies: "Varies every time",
}


class RosterMember(BaseModel):
    """One staff member the link lists: a pseudonym and the role their minutes are priced at."""

    model_config = ConfigDict(extra="forbid")

    staff_id: StaffPseudonym
    role: str = PydanticField(min_length=1, max_length=60, description="a role of the clinic profile")


class TaskLogLinkCreate(BaseModel):
    """Body of POST /v1/audits/{id}/task-log-links; without a roster, one is made from the clinic's roles."""

    model_config = ConfigDict(extra="forbid")

    roster: list[RosterMember] | None = PydanticField(
        default=None,
        max_length=MAX_ROSTER,
        description="who logs: pseudonyms and roles; default one per head-count (front-desk-1, front-desk-2)",
    )

    @field_validator("roster")
    @classmethod
    def _distinct(cls, roster: list[RosterMember] | None) -> list[RosterMember] | None:
        seen = [member.staff_id.lower() for member in roster or []]
        if len(set(seen)) != len(seen):
            raise ValueError("a pseudonym is listed twice; give each staff member once")
        return roster


class TaskLogLinkPublic(BaseModel):
    """A link as the officer sees it; `url` and `token` only when it is made."""

    id: UUID
    audit_id: UUID
    roster: list[RosterMember]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    url: str | None = None
    token: str | None = None


class Choice(BaseModel):
    id: str
    label: str


class TaskLogForm(BaseModel):
    """What the phone form shows: the roster to pick from, the choices, the window, a fill-time stamp."""

    clinic_name: str
    roster: list[RosterMember]
    categories: list[Choice]
    predictability: list[Choice]
    tools: list[str]
    starts_on: date
    ends_on: date
    today: date
    form_stamp: str


class TaskLogSubmit(BaseModel):
    """Body of POST /v1/public/task-log: one task, a few taps."""

    model_config = ConfigDict(extra="forbid")

    staff_id: StaffPseudonym
    category: TaskCategory
    minutes: int = PydanticField(gt=0, le=24 * 60, description="minutes one occurrence takes")
    occurrences: int = PydanticField(default=1, ge=1, le=1000, description="times it happened that day")
    predictability: Predictability
    tools: Annotated[list[Tool], PydanticField(max_length=len(TOOLS))] = PydanticField(default_factory=list)
    day: date | None = PydanticField(default=None, description="default today (UTC)")
    website: str = PydanticField(
        default="", max_length=200, description="leave empty (a field people never see)"
    )
    form_stamp: str = PydanticField(default="", max_length=2000)


class TaskLogged(BaseModel):
    """What the staff member sees after logging: it counted, and how many they logged that day."""

    staff_id: str
    day: date
    category: TaskCategory
    tasks_logged_that_day: int


class LoggingDay(BaseModel):
    """One day of the window: who on the roster logged, who has not yet."""

    day: date
    logged: list[str]
    not_logged: list[str]


class LoggingStatus(BaseModel):
    """Per day so far, who has not logged yet (the officer's daily nudge list)."""

    audit_id: UUID
    roster: list[RosterMember]
    days: list[LoggingDay]
