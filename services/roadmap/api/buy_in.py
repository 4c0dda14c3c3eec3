"""A plan's staff buy-in: the officer records communications, training and attendance, a waiver, and
opens or revokes survey rounds. Staff answer through the public routes in survey.py.
"""

from uuid import UUID

from fastapi import APIRouter, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.models import RoadmapPlan
from services.roadmap.plans import service, starter
from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.buy_in import survey as buy_in_survey
from services.roadmap.plans.buy_in.models import (
    AttendanceIn,
    BuyInPublic,
    CommunicationIn,
    CommunicationPublic,
    SurveyLinksIn,
    SurveyRoundIn,
    SurveyRoundPublic,
    TrainingIn,
    TrainingPublic,
    WaiverIn,
    WaiverPublic,
)
from shared import pseudonyms
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.settings import SharedSettings
from shared.temporal import TemporalConnection

router = APIRouter(prefix="/v1", tags=["buy-in"])
# How long a plan's nudge may wait for the Temporal client; the plan looks again daily anyway.
NUDGE_WAIT_SECONDS = 2.0


def _settings(request: Request) -> SharedSettings:
    settings: SharedSettings = request.app.state.runtime.settings
    return settings


async def _nudge_plan(request: Request, plan: RoadmapPlan) -> None:
    """Tell a plan holding in preparation to look again; never fails the officer's request."""
    if plan.phase not in ("baseline", "preparation"):
        return
    connection: TemporalConnection = request.app.state.temporal
    try:
        temporal = await connection.client(within=NUDGE_WAIT_SECONDS)
    except TimeoutError:
        return
    await starter.tell_buy_in_recorded(temporal, plan.id)


async def _plan(session: AsyncSession, plan_id: str, officer_id: str) -> RoadmapPlan:
    return await service.get_plan(session=session, plan_id=plan_id, officer_id=officer_id)


@router.get("/plans/{plan_id}/buy-in", response_model=BuyInPublic)
async def read_buy_in(plan_id: str, session: SessionDep, officer: CurrentOfficer, request: Request) -> object:
    """Communications, training with attendance, the waiver and the survey rounds (results once closed)."""
    plan = await _plan(session, plan_id, officer.id)
    return await buy_in.buy_in_view(session=session, plan=plan)


@router.post(
    "/plans/{plan_id}/buy-in/communications",
    status_code=status.HTTP_201_CREATED,
    response_model=CommunicationPublic,
    responses={409: {"description": "the plan has ended"}},
)
async def record_communication(
    plan_id: str,
    communication: CommunicationIn,
    session: SessionDep,
    officer: CurrentOfficer,
    request: Request,
) -> object:
    """A communication sent to staff: a kind from the fixed list, to which roles, when."""
    plan = await _plan(session, plan_id, officer.id)
    row = await buy_in.record_communication(
        session=session, plan=plan, officer_id=officer.id, communication=communication
    )
    await _nudge_plan(request, plan)
    return CommunicationPublic.model_validate(row, from_attributes=True)


def _pseudonyms(request: Request, plan: RoadmapPlan, attendees: list[str]) -> list[str]:
    """Attendees as the pilot group is kept (keyed pseudonyms): a trained pilot member is one person."""
    secret = request.app.state.runtime.settings.pseudonym_secret
    return pseudonyms.pseudonyms_for(attendees, clinic_id=plan.clinic_id, secret=secret)


@router.post(
    "/plans/{plan_id}/buy-in/trainings",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingPublic,
    responses={409: {"description": "the plan has ended"}},
)
async def record_training(
    plan_id: str, training: TrainingIn, session: SessionDep, officer: CurrentOfficer, request: Request
) -> object:
    """A training session, held (with attendance by staff pseudonym) or booked."""
    plan = await _plan(session, plan_id, officer.id)
    training = training.model_copy(update={"attendees": _pseudonyms(request, plan, training.attendees)})
    row = await buy_in.record_training(session=session, plan=plan, training=training)
    await _nudge_plan(request, plan)
    return buy_in.training_public(row)


@router.post("/plans/{plan_id}/buy-in/trainings/{training_id}/attendance", response_model=TrainingPublic)
async def record_attendance(
    *,
    plan_id: str,
    training_id: UUID,
    attendance: AttendanceIn,
    session: SessionDep,
    officer: CurrentOfficer,
    request: Request,
) -> object:
    """Who attended a session (added to those recorded); a booked session (a retraining) becomes held."""
    plan = await _plan(session, plan_id, officer.id)
    attendance = attendance.model_copy(update={"attendees": _pseudonyms(request, plan, attendance.attendees)})
    row = await buy_in.record_attendance(
        session=session, plan=plan, training_id=training_id, attendance=attendance
    )
    await _nudge_plan(request, plan)
    return buy_in.training_public(row)


@router.put(
    "/plans/{plan_id}/buy-in/preparation-waiver",
    response_model=WaiverPublic,
    responses={409: {"description": "the plan left preparation already, or has ended"}},
)
async def record_waiver(
    plan_id: str, waiver: WaiverIn, session: SessionDep, officer: CurrentOfficer, request: Request
) -> object:
    """Why the plan may leave preparation without a staff communication or a training."""
    plan = await _plan(session, plan_id, officer.id)
    row = await buy_in.record_waiver(session=session, plan=plan, officer_id=officer.id, waiver=waiver)
    await _nudge_plan(request, plan)
    return WaiverPublic.model_validate(row, from_attributes=True)


@router.post(
    "/plans/{plan_id}/buy-in/surveys",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyRoundPublic,
    responses={
        409: {"description": "the stage's round exists already, or the plan is not at that stage"},
        422: {"description": "no `links` count and the plan has no staff roster"},
    },
)
async def open_survey_round(
    plan_id: str, round_in: SurveyRoundIn, session: SessionDep, officer: CurrentOfficer, request: Request
) -> object:
    """Open the buy-in survey round of a stage with one single-use link per person (shown only here)."""
    plan = await _plan(session, plan_id, officer.id)
    row, links = await buy_in_survey.open_round(
        session=session, settings=_settings(request), plan=plan, officer_id=officer.id, request=round_in
    )
    return await buy_in.round_public(session, row, plan, links)


@router.post(
    "/plans/{plan_id}/buy-in/surveys/{round_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyRoundPublic,
    responses={409: {"description": "the round has closed"}},
)
async def more_survey_links(
    *,
    plan_id: str,
    round_id: UUID,
    more: SurveyLinksIn,
    session: SessionDep,
    officer: CurrentOfficer,
    request: Request,
) -> object:
    """More single-use links for an open round (a colleague joined, or a link was lost)."""
    plan = await _plan(session, plan_id, officer.id)
    row, links = await buy_in_survey.more_links(
        session=session, settings=_settings(request), plan=plan, round_id=round_id, count=more.links
    )
    return await buy_in.round_public(session, row, plan, links)


@router.post("/plans/{plan_id}/buy-in/surveys/{round_id}/revoke", response_model=SurveyRoundPublic)
async def revoke_survey_round(
    plan_id: str, round_id: UUID, session: SessionDep, officer: CurrentOfficer
) -> object:
    """Close a round early: its links open nothing from now on, and its results can show."""
    plan = await _plan(session, plan_id, officer.id)
    row = await buy_in_survey.revoke_round(session=session, plan=plan, round_id=round_id)
    return await buy_in.round_public(session, row, plan)
