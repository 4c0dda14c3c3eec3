"""Staff buy-in per plan, the domain side: communications, training and attendance, the preparation
waiver, retraining booked by adoption alerts, and what the plan's buy-in looks like.

Every change stages roadmap.plan.buy-in-changed.v1 (counts only) in the same transaction, so the
portal's read model follows. The survey's rounds and answers are in survey.py, its results in results.py.
"""

from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.models import SOURCE, RoadmapPlan
from services.roadmap.plans.buy_in import results as survey_results
from services.roadmap.plans.buy_in.models import (
    AttendanceIn,
    BuyInCommunication,
    BuyInPublic,
    BuyInSurveyAnswer,
    BuyInSurveyLink,
    BuyInSurveyRound,
    BuyInTraining,
    BuyInWaiver,
    CommunicationIn,
    CommunicationPublic,
    SurveyLinkPublic,
    SurveyResults,
    SurveyRoundPublic,
    TrainingIn,
    TrainingPublic,
    WaiverIn,
    WaiverPublic,
)
from shared import clock
from shared.errors import Conflict, NotFound, Refused
from shared.events.buy_in import (
    SURVEY_QUESTIONS,
    SURVEY_STAGE_PHASES,
    PlanBuyInChanged,
    SurveyRoundFigures,
    survey_stage_of,
)
from shared.events.roadmap import FINAL_PHASES
from shared.outbox import add_to_outbox

# Phases after which recording preparation's communication or training changes nothing the plan waits for.
MISSING_COMMUNICATION = "a communication to staff"
MISSING_TRAINING = "a training session held"


@dataclass
class PreparationCheck:
    """Activity output: may the plan leave preparation, and if not, what is missing."""

    ready: bool
    waived: bool = False
    missing: list[str] = field(default_factory=list)


def _refuse_if_ended(plan: RoadmapPlan) -> None:
    if plan.phase in FINAL_PHASES:
        raise Conflict(f"plan {plan.id} is {plan.phase}; its buy-in is kept as it was")


async def communications_of(session: AsyncSession, clinic_id: UUID, plan_id: str) -> list[BuyInCommunication]:
    statement = (
        select(BuyInCommunication)
        .where(BuyInCommunication.clinic_id == clinic_id, BuyInCommunication.plan_id == plan_id)
        .order_by(col(BuyInCommunication.sent_at))
    )
    return list((await session.exec(statement)).all())


async def trainings_of(session: AsyncSession, clinic_id: UUID, plan_id: str) -> list[BuyInTraining]:
    statement = (
        select(BuyInTraining)
        .where(BuyInTraining.clinic_id == clinic_id, BuyInTraining.plan_id == plan_id)
        .order_by(col(BuyInTraining.recorded_at))
    )
    return list((await session.exec(statement)).all())


async def rounds_of(session: AsyncSession, clinic_id: UUID, plan_id: str) -> list[BuyInSurveyRound]:
    statement = (
        select(BuyInSurveyRound)
        .where(BuyInSurveyRound.clinic_id == clinic_id, BuyInSurveyRound.plan_id == plan_id)
        .order_by(col(BuyInSurveyRound.created_at))
    )
    return list((await session.exec(statement)).all())


def round_is_open(row: BuyInSurveyRound, plan: RoadmapPlan | None) -> bool:
    """Takes answers: not closed by the officer or by the plan's phase, not expired.

    The phase is checked here as well as when it changes, so a round never outlives its stage.
    """
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return (
        row.revoked_at is None
        and row.closed_at is None
        and expires_at > clock.now()
        and plan is not None
        and plan.phase in SURVEY_STAGE_PHASES[row.stage]
    )


async def round_results(session: AsyncSession, row: BuyInSurveyRound, plan: RoadmapPlan) -> SurveyResults:
    """The round's results: none while it is open (not even a count)."""
    if round_is_open(row, plan):
        return survey_results.survey_results([], closed=False)
    statement = select(BuyInSurveyAnswer).where(
        BuyInSurveyAnswer.clinic_id == row.clinic_id, BuyInSurveyAnswer.round_id == row.id
    )
    answers = [
        {key: getattr(answer, key) for key in SURVEY_QUESTIONS} for answer in (await session.exec(statement))
    ]
    return survey_results.survey_results(answers, closed=True)


async def links_issued(session: AsyncSession, row: BuyInSurveyRound) -> int:
    statement = (
        select(func.count())
        .select_from(BuyInSurveyLink)
        .where(BuyInSurveyLink.clinic_id == row.clinic_id, BuyInSurveyLink.round_id == row.id)
    )
    return int((await session.exec(statement)).one())


async def round_public(
    session: AsyncSession,
    row: BuyInSurveyRound,
    plan: RoadmapPlan,
    links: list[SurveyLinkPublic] | None = None,
) -> SurveyRoundPublic:
    return SurveyRoundPublic(
        id=row.id,
        stage=row.stage,
        expires_at=row.expires_at,
        open=round_is_open(row, plan),
        revoked=row.revoked_at is not None,
        links_issued=await links_issued(session, row),
        links=links or [],
        results=await round_results(session, row, plan),
    )


def preparation_check(
    communications: list[BuyInCommunication], trainings: list[BuyInTraining], waiver: BuyInWaiver | None
) -> PreparationCheck:
    """The preparation rule: a communication sent and a training held, unless the officer said why not."""
    missing = []
    if not communications:
        missing.append(MISSING_COMMUNICATION)
    if not any(training.status == "held" for training in trainings):
        missing.append(MISSING_TRAINING)
    return PreparationCheck(
        ready=not missing or waiver is not None, waived=waiver is not None, missing=missing
    )


async def check_preparation(session: AsyncSession, clinic_id: UUID, plan_id: str) -> PreparationCheck:
    return preparation_check(
        await communications_of(session, clinic_id, plan_id),
        await trainings_of(session, clinic_id, plan_id),
        await session.get(BuyInWaiver, (clinic_id, plan_id)),
    )


# --- what the officer records ---------------------------------------------------------------------


async def record_communication(
    *, session: AsyncSession, plan: RoadmapPlan, officer_id: str, communication: CommunicationIn
) -> BuyInCommunication:
    """A communication sent to staff (a kind from the fixed list, to which roles, when)."""
    _refuse_if_ended(plan)
    now = clock.now()
    sent_at = communication.sent_at or now  # in UTC (CommunicationIn)
    if sent_at > now:
        raise Refused("sent_at is in the future: record a communication once it has been sent")
    row = BuyInCommunication(
        plan_id=plan.id,
        clinic_id=plan.clinic_id,
        kind=communication.kind,
        audiences=list(communication.audiences),
        sent_at=sent_at,
        recorded_by=officer_id,
    )
    session.add(row)
    await stage_buy_in_changed(session, plan)
    await session.commit()
    return row


async def record_training(*, session: AsyncSession, plan: RoadmapPlan, training: TrainingIn) -> BuyInTraining:
    """A training session, held (with who attended) or booked."""
    _refuse_if_ended(plan)
    held_on = training.held_on or (clock.today() if training.status == "held" else None)
    if training.status == "held" and held_on is not None and held_on > clock.today():
        raise Refused("held_on is in the future: record the session as booked, then its attendance once held")
    if training.status == "booked" and training.attendees:
        raise Refused("attendees: a booked session has no attendance yet; record it once the session is held")
    row = BuyInTraining(
        plan_id=plan.id,
        clinic_id=plan.clinic_id,
        kind=training.kind,
        status=training.status,
        held_on=held_on,
        attendees=sorted(set(training.attendees)),
    )
    session.add(row)
    await stage_buy_in_changed(session, plan)
    await session.commit()
    return row


async def record_attendance(
    *, session: AsyncSession, plan: RoadmapPlan, training_id: UUID, attendance: AttendanceIn
) -> BuyInTraining:
    """Who attended a session (added to those recorded); a booked session becomes held."""
    row = await session.get(BuyInTraining, (plan.clinic_id, training_id))
    if row is None or row.plan_id != plan.id:
        raise NotFound(f"training session {training_id} not found in plan {plan.id}")
    held_on = attendance.held_on or row.held_on or clock.today()
    if held_on > clock.today():
        raise Refused("held_on is in the future: record attendance once the session has been held")
    row.attendees = sorted({*row.attendees, *attendance.attendees})
    row.status = "held"
    row.held_on = held_on
    session.add(row)
    await stage_buy_in_changed(session, plan)
    await session.commit()
    return row


async def record_waiver(
    *, session: AsyncSession, plan: RoadmapPlan, officer_id: str, waiver: WaiverIn
) -> BuyInWaiver:
    """Why the plan may leave preparation without a communication or training (replaces an earlier one)."""
    _refuse_if_ended(plan)
    if plan.phase not in ("baseline", "preparation"):
        raise Conflict(
            f"plan {plan.id} left preparation already (it is in {plan.phase}); no waiver is needed"
        )
    row = await session.get(BuyInWaiver, (plan.clinic_id, plan.id)) or BuyInWaiver(
        clinic_id=plan.clinic_id, plan_id=plan.id, reason=waiver.reason, recorded_by=officer_id
    )
    row.reason, row.recorded_by, row.recorded_at = waiver.reason, officer_id, clock.now()
    session.add(row)
    await stage_buy_in_changed(session, plan)
    await session.commit()
    return row


async def book_retraining(
    session: AsyncSession, *, clinic_id: UUID, plan_id: str, notice_key: str, booked_on: date
) -> bool:
    """A retraining an adoption alert booked, as a tracked session; False if this notice booked it."""
    booked = select(BuyInTraining).where(
        BuyInTraining.clinic_id == clinic_id, BuyInTraining.booked_by_notice == notice_key
    )
    existing = (await session.exec(booked)).first()
    plan = await session.get(RoadmapPlan, (clinic_id, plan_id))
    if existing is not None or plan is None:
        return False
    session.add(
        BuyInTraining(
            plan_id=plan_id,
            clinic_id=plan.clinic_id,
            kind="retraining",
            status="booked",
            held_on=booked_on,
            booked_by_notice=notice_key,
        )
    )
    await stage_buy_in_changed(session, plan)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent retry booked it first
        await session.rollback()
        return False
    return True


# --- what the officer sees --------------------------------------------------------------------------


def training_public(row: BuyInTraining) -> TrainingPublic:
    return TrainingPublic(
        id=row.id,
        kind=row.kind,
        status=row.status,
        held_on=row.held_on,
        attendees=list(row.attendees),
        booked_by_alert=row.booked_by_notice is not None,
    )


async def buy_in_view(*, session: AsyncSession, plan: RoadmapPlan) -> BuyInPublic:
    """The plan's buy-in: communications, trainings with attendance, the waiver, survey rounds
    (their links are shown once, when issued: faio keeps only their hashes)."""
    communications = await communications_of(session, plan.clinic_id, plan.id)
    trainings = await trainings_of(session, plan.clinic_id, plan.id)
    waiver = await session.get(BuyInWaiver, (plan.clinic_id, plan.id))
    check = preparation_check(communications, trainings, waiver)
    rounds = await rounds_of(session, plan.clinic_id, plan.id)
    surveys = [await round_public(session, row, plan) for row in rounds]
    return BuyInPublic(
        plan_id=plan.id,
        phase=plan.phase,
        communications=[
            CommunicationPublic.model_validate(row, from_attributes=True) for row in communications
        ],
        trainings=[training_public(row) for row in trainings],
        staff_trained=len({staff for row in trainings if row.status == "held" for staff in row.attendees}),
        waiver=WaiverPublic.model_validate(waiver, from_attributes=True) if waiver else None,
        preparation_ready=check.ready,
        preparation_missing=check.missing,
        surveys=surveys,
    )


def summary_of(view: BuyInPublic) -> dict[str, Any]:
    """The plan's buy-in in a few figures, shown next to the KPI at the gate (the plan's own view)."""
    latest = view.surveys[-1] if view.surveys else None
    due = survey_stage_of(view.phase)
    return {
        "survey_due": due if due and due not in {row.stage for row in view.surveys} else None,
        "communications_sent": len(view.communications),
        "trainings_held": sum(1 for row in view.trainings if row.status == "held"),
        "retrainings": sum(1 for row in view.trainings if row.booked_by_alert),
        "staff_trained": view.staff_trained,
        "preparation_ready": view.preparation_ready,
        "preparation_waived": view.waiver is not None,
        "survey": None
        if latest is None
        else {
            "stage": latest.stage,
            "open": latest.open,
            "responses": latest.results.responses,
            "shown": latest.results.shown,
            "buy_in_score": latest.results.buy_in_score,
            "message": latest.results.message,
        },
    }


async def stage_buy_in_changed(session: AsyncSession, plan: RoadmapPlan) -> None:
    """Stage roadmap.plan.buy-in-changed.v1 with the plan's buy-in as it stands after this change."""
    await session.flush()
    view = await buy_in_view(session=session, plan=plan)
    trainings = view.trainings
    add_to_outbox(
        session,
        PlanBuyInChanged(
            clinic_id=plan.clinic_id,
            plan_id=plan.id,
            communications_sent=len(view.communications),
            communication_kinds=sorted({row.kind for row in view.communications}),
            trainings_held=sum(1 for row in trainings if row.status == "held"),
            trainings_booked=sum(1 for row in trainings if row.status == "booked"),
            retrainings=sum(1 for row in trainings if row.booked_by_alert),
            staff_trained=view.staff_trained,
            preparation_waived=view.waiver is not None,
            preparation_ready=view.preparation_ready,
            surveys=[
                SurveyRoundFigures(
                    stage=row.stage,
                    open=row.open,
                    responses=row.results.responses or 0,  # 0 while open: no live count
                    shown=row.results.shown,
                    buy_in_score=row.results.buy_in_score,
                    question_means={q.question: q.mean for q in row.results.questions if q.mean is not None},
                )
                for row in view.surveys
            ],
            changed_at=clock.now(),
        ),
        source=SOURCE,
        subject=str(plan.clinic_id),
    )
