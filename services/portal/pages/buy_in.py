"""A plan's staff buy-in (read_model/buy_in.py keeps it from roadmap.plan.buy-in-changed.v1) as it
reads next to the KPI: on the clinic page's plan and at the gate on Today.

The event carries counts only, and survey figures only once a round has closed with five answers;
while it is open, or below five, the page says so in the words the method uses.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.pages.formats import plural
from services.portal.read_model.models import PortalPlan, PortalPlanBuyIn
from shared.events.buy_in import MIN_RESPONSES_TO_SHOW, survey_stage_of

TOO_FEW = "too few responses to show without identifying anyone"
STAGE_NAMES = {"before_pilot": "before the pilot", "gate": "at the gate", "sustain": "in sustain"}


async def buy_in_of_plans(session: AsyncSession, plan_ids: list[str]) -> dict[str, "BuyInSummary"]:
    """Each plan's buy-in as the pages show it (plans with nothing recorded yet are left out)."""
    rows = (
        await session.exec(select(PortalPlanBuyIn).where(col(PortalPlanBuyIn.plan_id).in_(plan_ids)))
    ).all()
    phases = dict(
        (
            await session.exec(
                select(PortalPlan.id, PortalPlan.phase).where(col(PortalPlan.id).in_(plan_ids))
            )
        ).all()
    )
    return {row.plan_id: summarise(row.figures, phase=phases.get(row.plan_id, "")) for row in rows}


@dataclass
class SurveyLine:
    stage: str
    responses: int
    shown: bool
    score: float | None
    text: str


@dataclass
class BuyInSummary:
    """What the pages show: told, trained, preparation, and each survey round."""

    told: str
    trained: str
    preparation: str
    ready: bool
    surveys: list[SurveyLine]
    survey_due: str = ""  # the round this phase should have, when none was opened


def summarise(figures: dict[str, Any], *, phase: str = "") -> BuyInSummary:
    kinds = ", ".join(kind.replace("_", " ") for kind in figures.get("communication_kinds", []))
    sent = figures.get("communications_sent", 0)
    told = plural(sent, "communication") + " sent" + (f" ({kinds})" if kinds else "")
    held, staff = figures.get("trainings_held", 0), figures.get("staff_trained", 0)
    trained = f"{plural(held, 'training')} held, {staff} staff trained"
    if figures.get("trainings_booked"):
        trained += f"; {figures['trainings_booked']} booked"
    if figures.get("retrainings"):
        trained += f" ({plural(figures['retrainings'], 'retraining')} booked by adoption alerts)"
    ready = bool(figures.get("preparation_ready"))
    if figures.get("preparation_waived"):
        preparation = "may leave preparation: the officer recorded why"
    else:
        preparation = (
            "ready to leave preparation" if ready else "preparation needs a communication and a training"
        )
    surveys = []
    for survey in figures.get("surveys", []):
        responses = int(survey.get("responses", 0))
        stage = STAGE_NAMES.get(survey.get("stage", ""), survey.get("stage", ""))
        if survey.get("open"):  # no count while open: it would tell who just answered
            text = f"survey {stage}: open; results show once it closes, from {MIN_RESPONSES_TO_SHOW} answers"
        elif survey.get("shown") and survey.get("buy_in_score") is not None:
            text = f"survey {stage}: buy-in {survey['buy_in_score']:.0f} / 100 ({responses} answers)"
        else:
            text = f"survey {stage}: {TOO_FEW} (closed with {responses}; at least {MIN_RESPONSES_TO_SHOW})"
        surveys.append(
            SurveyLine(
                stage=str(survey.get("stage", "")),
                responses=responses,
                shown=bool(survey.get("shown")),
                score=survey.get("buy_in_score"),
                text=text,
            )
        )
    due = survey_stage_of(phase)
    survey_due = ""
    if due and due not in {line.stage for line in surveys}:
        survey_due = f"no survey {STAGE_NAMES[due]} yet"
    return BuyInSummary(
        told=told,
        trained=trained,
        preparation=preparation,
        ready=ready,
        surveys=surveys,
        survey_due=survey_due,
    )
