"""Roadmap's staff buy-in contract and vocabulary: what was communicated, trained and surveyed per plan.

Counts, fixed kinds and pseudonym-free aggregates only: no staff id, no text anyone typed. Survey
figures appear only once a round has closed with at least five answers; while it is open, not even
its count of answers is sent (and an answer stages no event).
"""

from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared import topics
from shared.events.envelope import EventBody

# What a communication to staff was about: a fixed list, never free text.
CommunicationKind = Literal[
    "why_we_change",  # the problem, what it costs, why this tool
    "what_changes",  # the new workflow, who owns it, what stays the same
    "training_invitation",
    "pilot_start",
    "progress_update",  # KPI and feedback so far
    "rollout_announcement",
    "support_contacts",  # where to get help
]
COMMUNICATION_KINDS: tuple[CommunicationKind, ...] = get_args(CommunicationKind)

# Which staff a communication went to.
StaffAudience = Literal[
    "all_staff",
    "physicians",
    "nurses",
    "medical_assistants",
    "front_desk",
    "billing",
    "practice_manager",
    "pilot_group",
]
STAFF_AUDIENCES: tuple[StaffAudience, ...] = get_args(StaffAudience)

# When the buy-in survey runs: one round per stage of the plan.
SurveyStage = Literal["before_pilot", "gate", "sustain"]
SURVEY_STAGES: tuple[str, ...] = get_args(SurveyStage)
# The plan phases each round runs in (one round per stage).
SURVEY_STAGE_PHASES: dict[str, tuple[str, ...]] = {
    "before_pilot": ("baseline", "preparation"),
    "gate": ("pilot", "evaluation"),
    "sustain": ("rollout", "sustain"),
}


def survey_stage_of(phase: str) -> str | None:
    """The survey round a plan in `phase` should have open, if any (none once it has ended)."""
    return next((stage for stage, phases in SURVEY_STAGE_PHASES.items() if phase in phases), None)


# The five Likert questions (1 strongly disagree .. 5 strongly agree), in the survey's order.
SurveyQuestion = Literal[
    "job_security_worry",
    "confidence_to_learn",
    "expected_extra_work",
    "understanding_why",
    "leadership_support",
]
SURVEY_QUESTIONS: tuple[str, ...] = get_args(SurveyQuestion)

# Below this many answers a round shows nothing: a few answers could identify who gave them.
MIN_RESPONSES_TO_SHOW = 5


class SurveyRoundFigures(BaseModel):
    """One survey round: open, or closed with how many answered and (from five) the averages."""

    model_config = ConfigDict(extra="forbid")

    stage: SurveyStage
    open: bool = Field(default=False, description="takes answers; then responses is 0 and nothing shows")
    responses: int = Field(ge=0, description="answers of a closed round (0 while open: no live count)")
    shown: bool = Field(description="false while open or below five answers: no figures are sent")
    buy_in_score: float | None = Field(default=None, ge=0, le=100)
    question_means: dict[SurveyQuestion, float] = Field(default_factory=dict)


class PlanBuyInChanged(EventBody):
    """A plan's staff buy-in changed: a communication, a training, a waiver, a survey round opened
    or closed (not an answer: that would tell who just answered)."""

    topic = topics.PLAN_BUY_IN_CHANGED

    clinic_id: UUID
    plan_id: str = Field(max_length=200)
    communications_sent: int = Field(ge=0)
    communication_kinds: list[CommunicationKind] = Field(default_factory=list, max_length=50)
    trainings_held: int = Field(ge=0)
    trainings_booked: int = Field(ge=0, description="booked but not yet held (retraining included)")
    retrainings: int = Field(ge=0, description="sessions booked by an adoption alert")
    staff_trained: int = Field(ge=0, description="distinct staff pseudonyms that attended")
    preparation_waived: bool = False
    preparation_ready: bool = Field(description="the plan may leave preparation")
    surveys: list[SurveyRoundFigures] = Field(default_factory=list, max_length=3)
    changed_at: datetime
