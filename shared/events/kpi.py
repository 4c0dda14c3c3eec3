"""Events the KPI monitoring service publishes, and the KPI names every service shares."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared import topics
from shared.events.envelope import EventBody
from shared.pseudonyms import StaffPseudonym

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
    "self_scheduled_share",
    "new_patient_requests",
    "followups_completed",
    "task_hours_per_week",
]


class WeekCounts(BaseModel):
    """The sums behind a week's KPI (value = events / total): a rate's events out of its trials, a
    duration's minutes over its notes, a count's events over one week."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: float = Field(
        ge=0, le=1e9, description="rate: the numerator (e.g. missed calls); duration: minutes"
    )
    total: float = Field(ge=0, le=1e9, description="rate: the denominator (e.g. all calls); duration: notes")


class ClinicianWeek(WeekCounts):
    """One clinician's sums for the week, for KPIs whose events name the staff member (notes)."""

    staff_id: StaffPseudonym
    pilot: bool = Field(description="in the initiative's pilot group; the others are its concurrent control")


class KpiSnapshot(EventBody):
    """A KPI's value for one clinic and ISO week (the clinic's local week), against its baseline and target.

    `counts` carries the sums behind `value` so the gate can judge weeks as its unit; `clinicians`
    splits them per staff member where the events name one, so the pilot group is measured against
    the rest of the staff. `baseline_week` says the week lies in the initiative's baseline window.
    """

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
    counts: WeekCounts | None = None
    clinicians: list[ClinicianWeek] = Field(default_factory=list, max_length=500)
    baseline_week: bool = False
    pilot_adoption: float | None = Field(
        default=None, ge=0, le=1, description="share of the pilot group who used the AI tool that week"
    )


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


Feed = Literal[
    "calls", "appointments", "notes", "messages", "ai_tool", "eligibility", "claims", "referrals", "followups"
]


class FeedHealth(BaseModel):
    """One kind of partner data at a clinic: when it last arrived and whether it went quiet."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    feed: Feed
    last_event_day: date | None = Field(
        description="the latest day with an event of this feed (its own date)"
    )
    events_last_7_days: int = Field(ge=0, le=10_000_000)
    usual_events_per_day: float = Field(ge=0, le=1_000_000, description="over the four weeks before")
    stale: bool = Field(description="kpi's rule: quiet for three complete days after sending about daily")


class AdoptionWeek(BaseModel):
    """AI use at a clinic in one complete ISO week: counts only, staff as a number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    week: str = Field(pattern=r"^\d{4}-W\d{2}$")
    notes_signed: int = Field(ge=0, le=10_000_000)
    notes_ai_assisted: int = Field(ge=0, le=10_000_000)
    ai_active_staff: int = Field(ge=0, le=100_000)
    # Whose figures these are: below shared.small_groups.MIN_GROUP they are each person's, and pages
    # do not show them. None from a kpi that did not count them yet.
    clinicians: int | None = Field(
        default=None, ge=0, le=100_000, description="staff seen that week (signing notes or using an AI tool)"
    )


class ClinicActivity(EventBody):
    """What a clinic's partner feeds show as of a day: each feed's health and AI use week by week.

    Published by kpi when it changes (at most a few times a day per clinic), for every clinic that
    had partner data in the last weeks, with or without an initiative.
    """

    topic = topics.KPI_CLINIC_ACTIVITY

    clinic_id: UUID
    as_of: date
    last_event_day: date | None
    feeds: list[FeedHealth] = Field(max_length=9)
    adoption: list[AdoptionWeek] = Field(max_length=12, description="complete weeks, oldest first")
