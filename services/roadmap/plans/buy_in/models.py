"""Staff buy-in per plan: communications sent, training sessions and who attended, the waiver that lets
a plan leave preparation without them, and the anonymous buy-in survey's rounds and answers.

No free text from staff is stored anywhere: attendees are pseudonymous staff ids (shared/pseudonyms.py),
survey answers are five numbers 1-5 with no time, no order and nothing typed. A survey link is kept
as the hash of its token and a used flag; nothing says which answer it gave.
"""

from datetime import UTC, date, datetime
from typing import Literal, get_args
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared import clock
from shared.events.buy_in import (
    COMMUNICATION_KINDS,
    STAFF_AUDIENCES,
    SURVEY_QUESTIONS,
    SURVEY_STAGES,
    CommunicationKind,
    StaffAudience,
    SurveyStage,
)
from shared.free_text import FreeText
from shared.pseudonyms import StaffPseudonym

__all__ = ["COMMUNICATION_KINDS", "STAFF_AUDIENCES", "SURVEY_QUESTIONS", "SURVEY_STAGES"]


def _now() -> datetime:
    return clock.now()


TrainingKind = Literal["training", "retraining"]
TRAINING_KINDS: tuple[str, ...] = get_args(TrainingKind)
# booked: on the calendar (a retraining an adoption alert booked starts so); held: it took place.
TrainingStatus = Literal["booked", "held"]

# What each question asks staff, in the survey's order; `worse_when_agreed` questions count reversed.
QUESTION_TEXT: dict[str, str] = {
    "job_security_worry": "I worry that this tool could put my job at risk.",
    "confidence_to_learn": "I am confident I can learn to use this tool.",
    "expected_extra_work": "I expect this tool to give me extra work.",
    "understanding_why": "I understand why the practice is introducing this tool.",
    "leadership_support": "I feel supported by the practice's leadership in this change.",
}
WORSE_WHEN_AGREED = frozenset({"job_security_worry", "expected_extra_work"})
LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree")


class BuyInCommunication(SQLModel, table=True):
    """A communication sent to staff about the plan: which kind, to which roles, when."""

    __tablename__ = "roadmap_buy_in_communication"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    plan_id: str = Field(index=True, max_length=200)
    clinic_id: UUID = Field(primary_key=True)  # the tenant in the key
    kind: str = Field(max_length=40)  # a CommunicationKind
    audiences: list[str] = Field(default_factory=list, sa_type=JSON)  # StaffAudience values
    sent_at: datetime
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=_now)


class BuyInTraining(SQLModel, table=True):
    """A training session of the plan and who attended, by staff pseudonym.

    A retraining booked by an adoption alert carries the notice key that booked it (unique), so
    the activity that books it can be retried without booking it twice.
    """

    __tablename__ = "roadmap_buy_in_training"
    __table_args__ = (
        UniqueConstraint("clinic_id", "booked_by_notice", name="uq_buy_in_training_booked_by_notice"),
    )

    clinic_id: UUID = Field(primary_key=True)  # the tenant first in the key
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    plan_id: str = Field(index=True, max_length=200)
    kind: str = Field(default="training", max_length=20)  # a TrainingKind
    status: str = Field(default="held", max_length=20)  # a TrainingStatus
    held_on: date | None = None
    attendees: list[str] = Field(default_factory=list, sa_type=JSON)  # pseudonymous staff ids
    booked_by_notice: str | None = Field(default=None, max_length=300)
    recorded_at: datetime = Field(default_factory=_now)


class BuyInWaiver(SQLModel, table=True):
    """Why the officer lets the plan leave preparation without a communication or a training."""

    __tablename__ = "roadmap_buy_in_waiver"

    clinic_id: UUID = Field(primary_key=True)  # the plan's
    plan_id: str = Field(primary_key=True, max_length=200)
    reason: str = Field(max_length=500)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=_now)


class BuyInSurveyRound(SQLModel, table=True):
    """One round of the buy-in survey: one per plan and stage (before the pilot, at the gate, in sustain).

    It closes when the officer closes it (`revoked_at`), when it expires, or when the plan leaves
    the stage's phases (`closed_at`); results show only then.
    """

    __tablename__ = "roadmap_buy_in_survey_round"
    __table_args__ = (
        UniqueConstraint("clinic_id", "plan_id", "stage", name="uq_buy_in_survey_round_plan_stage"),
    )

    clinic_id: UUID = Field(primary_key=True)  # the tenant first in the key
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    plan_id: str = Field(index=True, max_length=200)
    stage: str = Field(max_length=20)  # a SurveyStage
    expires_at: datetime
    revoked_at: datetime | None = None
    closed_at: datetime | None = None  # the plan left the stage's phases
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=_now)


def _round_key() -> ForeignKeyConstraint:
    """A link's or an answer's round, named with its clinic (a foreign key within one tenant)."""
    return ForeignKeyConstraint(
        ["clinic_id", "round_id"],
        ["roadmap_buy_in_survey_round.clinic_id", "roadmap_buy_in_survey_round.id"],
    )


class BuyInSurveyLink(SQLModel, table=True):
    """One person's one-time link to a round: the SHA-256 of its token and whether it was used.

    Nothing else: not who it was for, not when it was used, not which answer it gave.
    """

    __tablename__ = "roadmap_buy_in_survey_link"
    __table_args__ = (_round_key(),)

    token_hash: str = Field(primary_key=True, max_length=64)
    clinic_id: UUID  # the round's, as its foreign key names it
    round_id: UUID = Field(index=True)
    used: bool = False


class BuyInSurveyAnswer(SQLModel, table=True):
    """One anonymous answer: five numbers 1-5 and nothing else (no staff id, no time, no text).

    The id is random, so not even the order of answers is kept (it could be matched to who
    was seen answering when).
    """

    __tablename__ = "roadmap_buy_in_survey_answer"
    __table_args__ = (_round_key(),)

    # The round's clinic, as its foreign key names it: nothing about who answered.
    clinic_id: UUID = Field(primary_key=True)
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    round_id: UUID = Field(index=True)
    job_security_worry: int
    confidence_to_learn: int
    expected_extra_work: int
    understanding_why: int
    leadership_support: int


BUY_IN_TABLES = (
    BuyInCommunication,
    BuyInTraining,
    BuyInWaiver,
    BuyInSurveyRound,
    BuyInSurveyLink,
    BuyInSurveyAnswer,
)


# --- API schemas -----------------------------------------------------------------------------


class CommunicationIn(BaseModel):
    """A communication the practice sent to staff: a kind from the fixed list, to which roles, when."""

    model_config = ConfigDict(extra="forbid")

    kind: CommunicationKind
    audiences: list[StaffAudience] = PydanticField(min_length=1, max_length=len(STAFF_AUDIENCES))
    sent_at: datetime | None = PydanticField(default=None, description="when it was sent; now if left out")

    @field_validator("audiences")
    @classmethod
    def _distinct(cls, value: list[StaffAudience]) -> list[StaffAudience]:
        return list(dict.fromkeys(value))

    @field_validator("sent_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Stored in UTC; a time without a zone is taken as UTC, one at the calendar's edge refused."""
        if value is None:
            return None
        try:
            moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError as error:
            raise ValueError(
                "sent_at is out of range: give when it was sent, e.g. 2026-11-20T09:00:00Z"
            ) from error
        if moment.year < 2000:
            raise ValueError("sent_at is before 2000: give when it was sent, e.g. 2026-11-20T09:00:00Z")
        return moment


class CommunicationPublic(BaseModel):
    id: UUID
    kind: str
    audiences: list[str]
    sent_at: datetime
    recorded_by: str


class TrainingIn(BaseModel):
    """A training session: held (with who attended) or booked for a date."""

    model_config = ConfigDict(extra="forbid")

    kind: TrainingKind = "training"
    status: TrainingStatus = "held"
    held_on: date | None = PydanticField(default=None, description="the day it was (or will be) held")
    attendees: list[StaffPseudonym] = PydanticField(
        default_factory=list, max_length=500, description="pseudonymous staff ids (ma-12), never names"
    )


class AttendanceIn(BaseModel):
    """Staff who attended a session (added to those already recorded); marks the session held."""

    model_config = ConfigDict(extra="forbid")

    attendees: list[StaffPseudonym] = PydanticField(min_length=1, max_length=500)
    held_on: date | None = None


class TrainingPublic(BaseModel):
    id: UUID
    kind: str
    status: str
    held_on: date | None
    attendees: list[str]
    booked_by_alert: bool


class WaiverIn(BaseModel):
    """Why the plan may leave preparation without a communication or a training (no patient data)."""

    model_config = ConfigDict(extra="forbid")

    reason: FreeText = PydanticField(min_length=10, max_length=500, description="no patient details")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 10:
            raise ValueError("reason must say in a sentence why the plan may go on without them")
        return value.strip()


class WaiverPublic(BaseModel):
    reason: str
    recorded_by: str
    recorded_at: datetime


MAX_LINKS = 500


class SurveyRoundIn(BaseModel):
    """Open the survey round of a stage: one single-use link per person asked."""

    model_config = ConfigDict(extra="forbid")

    stage: SurveyStage
    open_days: int = PydanticField(default=14, ge=1, le=60, description="how long the links work")
    links: int | None = PydanticField(
        default=None,
        ge=1,
        le=MAX_LINKS,
        description="how many people to ask (one link each); left out, one per person on the plan's "
        "roster: its owner, pilot group and trained staff",
    )


class SurveyLinksIn(BaseModel):
    """More single-use links for an open round (someone joined, or a link was lost)."""

    model_config = ConfigDict(extra="forbid")

    links: int = PydanticField(ge=1, le=MAX_LINKS, description="how many more people to ask")


class QuestionResult(BaseModel):
    question: str
    text: str
    mean: float | None = PydanticField(
        description="1 strongly disagree .. 5 strongly agree; none at 1 or 5 (every answer alike)"
    )
    agree_share: float | None = PydanticField(
        description="share answering agree or strongly agree; none when it is 0 % or 100 % (see agree)"
    )
    agree: str = PydanticField(
        description="the share in words: '40%', or 'all or nearly all' / 'none or nearly none', so "
        "a unanimous answer does not tell what each person said"
    )
    worse_when_agreed: bool


class SurveyResults(BaseModel):
    """A round's results: shown only once it has closed, and only with at least 5 answers."""

    closed: bool
    responses: int | None = PydanticField(
        default=None, description="answers given; told only once the round has closed (no live count)"
    )
    shown: bool
    message: str
    buy_in_score: float | None = PydanticField(
        default=None, description="0-100: the five questions averaged, worry and extra work reversed"
    )
    questions: list[QuestionResult] = []


class SurveyLinkPublic(BaseModel):
    """One person's single-use link, shown once when issued (faio keeps only its hash)."""

    roster: str = PydanticField(description="the roster pseudonym it is meant for; empty for a counted link")
    link_token: str
    link_url: str = PydanticField(description="the portal page this person opens")


class SurveyRoundPublic(BaseModel):
    id: UUID
    stage: str
    expires_at: datetime
    open: bool = PydanticField(description="takes answers (no count is told while it does)")
    revoked: bool = PydanticField(description="closed by the officer")
    links_issued: int
    links: list[SurveyLinkPublic] = PydanticField(
        default_factory=list, description="the links just issued: hand one to each person; shown once"
    )
    results: SurveyResults


class BuyInPublic(BaseModel):
    """A plan's staff buy-in as the officer sees it (next to the KPI at the gate)."""

    plan_id: str
    phase: str
    communications: list[CommunicationPublic]
    trainings: list[TrainingPublic]
    staff_trained: int
    waiver: WaiverPublic | None
    preparation_ready: bool
    preparation_missing: list[str]
    surveys: list[SurveyRoundPublic]


class PublicQuestion(BaseModel):
    key: str
    text: str


class PublicSurvey(BaseModel):
    """What the survey page shows staff: no plan id, no clinic id, only what they need to answer."""

    clinic_name: str
    stage: str
    questions: list[PublicQuestion]
    scale: list[str]
    closes_at: datetime
    form_stamp: str = PydanticField(description="send back with the answers (when the form was shown)")


class SurveyTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = PydanticField(min_length=10, max_length=2000)


class SurveyAnswerIn(SurveyTokenIn):
    """One member of staff's answers, 1-5 each; nothing else is accepted (no free text at all)."""

    form_stamp: str = PydanticField(max_length=2000, description="the stamp the survey came with")
    website: str = PydanticField(default="", max_length=200, description="hidden from people: leave empty")

    job_security_worry: int = PydanticField(ge=1, le=5)
    confidence_to_learn: int = PydanticField(ge=1, le=5)
    expected_extra_work: int = PydanticField(ge=1, le=5)
    understanding_why: int = PydanticField(ge=1, le=5)
    leadership_support: int = PydanticField(ge=1, le=5)

    def answers(self) -> dict[str, int]:
        return {key: int(getattr(self, key)) for key in SURVEY_QUESTIONS}
