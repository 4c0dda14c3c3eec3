"""The buy-in survey's public routes: staff answer without an account, the link token in the body
(never in a URL, so it stays out of access logs and traces)."""

from typing import Any

from fastapi import APIRouter, Request, status

from services.roadmap.plans.buy_in import survey as buy_in_survey
from services.roadmap.plans.buy_in.models import PublicSurvey, SurveyAnswerIn, SurveyTokenIn
from shared.app import SessionDep
from shared.public_links import RateLimit
from shared.settings import SharedSettings

router = APIRouter(prefix="/v1/public/buy-in-survey", tags=["buy-in survey (public)"])

# Per round: a staff meeting may answer at once, a script hammering a round may not. (Each link
# takes one answer anyway; the portal limits each person's address as well.)
answers_per_round = RateLimit("120/hour", scope="buy-in-survey-round")
REFUSALS: dict[int | str, dict[str, Any]] = {
    422: {"description": "the link is expired, revoked, used, forged or its round closed (says what to do)"}
}


def _settings(request: Request) -> SharedSettings:
    settings: SharedSettings = request.app.state.runtime.settings
    return settings


@router.post("/open", response_model=PublicSurvey, responses=REFUSALS)
async def open_survey(link: SurveyTokenIn, session: SessionDep, request: Request) -> object:
    """The survey a link opens: the practice's name, five questions, the scale (no plan or clinic ids)."""
    return await buy_in_survey.public_survey(session=session, settings=_settings(request), token=link.token)


@router.post(
    "/answers",
    status_code=status.HTTP_201_CREATED,
    responses={**REFUSALS, 429: {"description": "too many answers to this round; wait and retry"}},
)
async def answer_survey(answer: SurveyAnswerIn, session: SessionDep, request: Request) -> dict[str, bool]:
    """One anonymous answer (five numbers 1-5) per link; nothing identifies who gave it."""
    settings = _settings(request)
    row, _plan, _link = await buy_in_survey.link_of(session, settings, answer.token)
    await answers_per_round.hit(str(row.id), request)
    await buy_in_survey.record_answer(
        session=session,
        settings=settings,
        answer=answer,
        min_fill_seconds=request.app.state.runtime.settings.survey_min_fill_seconds,
    )
    return {"recorded": True}
