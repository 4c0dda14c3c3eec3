"""The five questions before any AI purchase: what the officer submits, the table, what is shown."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, FiniteFloat, model_validator
from sqlalchemy import JSON, Column, ForeignKey, Uuid
from sqlmodel import Field, SQLModel

from shared import clock
from shared.free_text import FreeText
from shared.pseudonyms import StaffPseudonym


def _now() -> datetime:
    return clock.now()


class CurrentCost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours_per_week: FiniteFloat | None = Field(default=None, ge=0, le=10_000)
    cost_per_week: FiniteFloat | None = Field(default=None, ge=0, le=100_000_000)


class SuccessMeasure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kpi: FreeText = Field(default="", max_length=200)
    baseline: FiniteFloat | None = Field(default=None, ge=-1e12, le=1e12)
    target: FiniteFloat | None = Field(default=None, ge=-1e12, le=1e12)


class PurchaseReviewSubmit(BaseModel):
    """Body of POST /v1/clinics/{id}/purchase-reviews: the five answers for one tool."""

    model_config = ConfigDict(extra="forbid")

    tool: str = Field(min_length=1, max_length=200, description="the product under consideration")
    problem: FreeText = Field(
        default="", max_length=2000, description="1. what problem it solves (no patient details)"
    )
    current_cost: CurrentCost | None = Field(default=None, description="2. what the problem costs now")
    owner_role: str = Field(
        default="", max_length=60, description="3. who owns implementation (a staff role)"
    )
    owner_id: StaffPseudonym | None = Field(
        default=None, description="the owner's pseudonymous staff id (ma-12, dr-7f3a), never a name"
    )
    success_measure: SuccessMeasure | None = Field(default=None, description="4. how success is measured")
    integrates_with: dict[
        Annotated[str, Field(min_length=1, max_length=40)],
        Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=20)],
    ] = Field(
        max_length=20,
        default_factory=dict,
        description="5. kind of system -> vendors the tool integrates with, e.g. {'emr': ['athenahealth']}",
    )
    catalog_entry_id: UUID | None = Field(
        default=None, description="the solution catalog entry (roadmap's /v1/catalog) this tool is"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_owner_name(cls, data: Any) -> Any:
        """People are never named: the owner is a pseudonymous staff id (the old field said a name)."""
        if isinstance(data, dict) and "owner_name" in data:
            raise ValueError(
                "owner_name is not accepted: give owner_id, the owner's pseudonymous staff id "
                "(ma-12, dr-7f3a), never a person's name"
            )
        return data


AnswerStatus = Literal["strong", "weak", "missing"]
Verdict = Literal["ready_to_buy", "not_yet"]


class ReviewFinding(BaseModel):
    """How one of the five answers holds up, and why."""

    question: Literal["problem", "current_cost", "owner", "success_measure", "integration"]
    status: AnswerStatus
    reason: str


class PurchaseReview(SQLModel, table=True):
    """A purchase review with its verdict; kept so the officer can show why a tool was (not) bought."""

    __tablename__ = "intake_purchase_review"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    clinic_id: UUID = Field(
        sa_column=Column(Uuid, ForeignKey("clinic.id"), index=True, nullable=False, primary_key=True)
    )  # the tenant in the key (tests/unit/test_tenant_keys.py)
    officer_id: str = Field(max_length=100)
    tool: str = Field(max_length=200)
    answers: dict[str, object] = Field(sa_type=JSON)
    verdict: str = Field(max_length=20)
    findings: list[dict[str, object]] = Field(sa_type=JSON)
    created_at: datetime = Field(default_factory=_now)


class PurchaseReviewPublic(BaseModel):
    id: UUID
    clinic_id: UUID
    tool: str
    verdict: Verdict
    findings: list[ReviewFinding]
    created_at: datetime
    catalog_entry_id: UUID | None = None  # the solution catalog entry (roadmap) the tool was taken from

    @model_validator(mode="before")
    @classmethod
    def _catalog_entry_from_answers(cls, data: Any) -> Any:
        """A stored review keeps the catalog entry among its answers."""
        answers = getattr(data, "answers", None)
        if isinstance(answers, dict) and answers.get("catalog_entry_id"):
            fields = ("id", "clinic_id", "tool", "verdict", "findings", "created_at")
            return {name: getattr(data, name) for name in fields} | {
                "catalog_entry_id": answers["catalog_entry_id"]
            }
        return data
