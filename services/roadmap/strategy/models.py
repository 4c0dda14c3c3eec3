"""The strategy interview's table and the map as the officer sees it.

An answer's note stays in this table and in the officer's answers: never in an event, the map's
evidence, a span or a log line.
"""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from services.roadmap.strategy.rules import Area, Question
from shared import clock
from shared.free_text import FreeText


def _now() -> datetime:
    return clock.now()


class StrategyAnswer(SQLModel, table=True):
    """One of the interview's 9 x 4 answers: a 0-3 rating and the officer's short note."""

    __tablename__ = "roadmap_strategy_answer"

    clinic_id: UUID = Field(primary_key=True)
    area: str = Field(primary_key=True, max_length=40)
    question: str = Field(primary_key=True, max_length=40)
    rating: int
    note: str = Field(default="", max_length=500)
    answered_by: str = Field(max_length=100)
    answered_at: datetime = Field(default_factory=_now)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: Area
    question: Question
    rating: int = PydanticField(ge=0, le=3, description="0 none, 1 low, 2 medium, 3 high")
    note: FreeText = PydanticField(
        default="", max_length=500, description="no patient details: roles and tasks only"
    )


class InterviewIn(BaseModel):
    """Some or all of the 36 answers; an answer given again replaces the earlier one."""

    model_config = ConfigDict(extra="forbid")

    answers: list[AnswerIn] = PydanticField(min_length=1, max_length=36)


class AnswerPublic(AnswerIn):
    answered_at: datetime


class InterviewPublic(BaseModel):
    clinic_id: UUID
    questions: dict[str, str]
    areas: dict[str, str]
    ratings: list[str]
    answers: list[AnswerPublic]


class CandidatePublic(BaseModel):
    initiative_id: str
    problem: str
    rank: int
    recommended: bool
    status: str


class AreaPublic(BaseModel):
    area: str
    label: str
    score: float | None
    need: float | None
    interview: float | None
    ratings: dict[str, int]
    hours_per_week: float
    cost_per_week: float
    hours_share: float | None
    readiness: float | None
    evidence: list[str]
    initiatives: list[CandidatePublic]
    catalog_categories: list[str]
    vendors: list[str] = []


class StrategyMapPublic(BaseModel):
    """Per area a score (0-100, where acting first pays), its evidence and candidate initiatives."""

    clinic_id: UUID
    answered: int
    expected: int
    waiting_for: list[str]
    first_area: str | None
    first_reason: str
    questions: dict[str, str]
    areas: list[AreaPublic]
