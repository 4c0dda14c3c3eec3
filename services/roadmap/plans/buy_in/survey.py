"""The anonymous buy-in survey: rounds the officer opens (one per stage), their signed links, answers.

Staff answer through the portal's public page without an account; the portal passes the link
token to roadmap's public endpoints. The token names the round only; revocation is the round's
own row. An answer is five numbers 1-5, stored with nothing that could say whose it is.
"""

from datetime import UTC, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.models import RoadmapClinic, RoadmapPlan
from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.buy_in.models import (
    LIKERT_LABELS,
    QUESTION_TEXT,
    BuyInSurveyAnswer,
    BuyInSurveyRound,
    PublicQuestion,
    PublicSurvey,
    SurveyAnswerIn,
    SurveyRoundIn,
)
from shared import clock
from shared.errors import Conflict, NotFound
from shared.events.buy_in import SURVEY_QUESTIONS, SURVEY_STAGE_PHASES
from shared.events.roadmap import FINAL_PHASES
from shared.public_links import (
    LinkPurpose,
    LinkRefused,
    RefusalReason,
    check_submission,
    issue_form_stamp,
    issue_link,
    verify_link,
)
from shared.settings import SharedSettings

STAGE_PHASES = SURVEY_STAGE_PHASES  # before the pilot, around the gate, in sustain


def link_for(settings: SharedSettings, row: BuyInSurveyRound) -> str:
    """The round's signed link token (valid until the round closes; the row says if it was revoked)."""
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return issue_link(
        settings,
        purpose=LinkPurpose.BUY_IN_SURVEY,
        link_id=str(row.id),
        subject_id=row.plan_id,
        expires_at=expires_at,
    )


def page_url(settings: SharedSettings, token: str) -> str:
    """The portal page a link token opens (the portal's public address from roadmap's settings)."""
    base = str(getattr(settings, "portal_public_url", "")).rstrip("/")
    return f"{base}/survey/{token}" if token else ""


async def open_round(
    *,
    session: AsyncSession,
    settings: SharedSettings,
    plan: RoadmapPlan,
    officer_id: str,
    request: SurveyRoundIn,
) -> tuple[BuyInSurveyRound, str]:
    """Open the survey round of a stage and return it with its link token; one round per stage."""
    if plan.phase in FINAL_PHASES:
        raise Conflict(f"plan {plan.id} is {plan.phase}; no more survey rounds")
    phases = STAGE_PHASES[request.stage]
    if plan.phase not in phases:
        raise Conflict(
            f"the {request.stage} round runs while the plan is in {' or '.join(phases)}; "
            f"plan {plan.id} is in {plan.phase}"
        )
    row = BuyInSurveyRound(
        plan_id=plan.id,
        clinic_id=plan.clinic_id,
        stage=request.stage,
        expires_at=clock.now() + timedelta(days=request.open_days),
        created_by=officer_id,
    )
    session.add(row)
    one_per_stage = Conflict(
        f"plan {plan.id} has its {request.stage} survey round already: one round per stage "
        "(its link is in the plan's buy-in: GET /v1/plans/<id>/buy-in)"
    )
    try:
        await buy_in.stage_buy_in_changed(session, plan)
        await session.commit()
    except IntegrityError as error:  # the plan's objects expire with the rollback: the message is ready
        await session.rollback()
        raise one_per_stage from error
    return row, link_for(settings, row)


async def revoke_round(*, session: AsyncSession, plan: RoadmapPlan, round_id: UUID) -> BuyInSurveyRound:
    """Withdraw a round's link: it opens nothing from now on; answers given so far stay."""
    row = await session.get(BuyInSurveyRound, round_id)
    if row is None or row.plan_id != plan.id:
        raise NotFound(f"survey round {round_id} not found in plan {plan.id}")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        session.add(row)
        await session.commit()
    return row


async def round_of_link(session: AsyncSession, settings: SharedSettings, token: str) -> BuyInSurveyRound:
    """The open round a link token names; LinkRefused (expired, forged or revoked) otherwise."""
    claims = verify_link(settings, token, purpose=LinkPurpose.BUY_IN_SURVEY)
    try:
        round_id = UUID(claims.link_id)
    except ValueError as error:
        raise LinkRefused(RefusalReason.FORGED) from error
    row = await session.get(BuyInSurveyRound, round_id)
    if row is None or row.plan_id != claims.subject_id:
        raise LinkRefused(RefusalReason.FORGED)
    if row.revoked_at is not None:
        raise LinkRefused(RefusalReason.REVOKED)
    return row


async def public_survey(*, session: AsyncSession, settings: SharedSettings, token: str) -> PublicSurvey:
    """What staff see: the practice's name, the five questions and the scale; nothing about the plan."""
    row = await round_of_link(session, settings, token)
    clinic = await session.get(RoadmapClinic, row.clinic_id)
    return PublicSurvey(
        clinic_name=clinic.name if clinic else "your practice",
        stage=row.stage,
        questions=[PublicQuestion(key=key, text=QUESTION_TEXT[key]) for key in SURVEY_QUESTIONS],
        scale=list(LIKERT_LABELS),
        closes_at=row.expires_at,
        form_stamp=issue_form_stamp(settings, link_id=str(row.id)),
    )


async def record_answer(
    *, session: AsyncSession, settings: SharedSettings, answer: SurveyAnswerIn, min_fill_seconds: float
) -> None:
    """Store one anonymous answer of an open round (a person, not a bot, filled it) and stage the counts."""
    row = await round_of_link(session, settings, answer.token)
    check_submission(
        settings,
        link_id=str(row.id),
        honeypot=answer.website,
        form_stamp=answer.form_stamp,
        min_fill_seconds=min_fill_seconds,
    )
    plan = await session.get(RoadmapPlan, row.plan_id)
    if plan is None:
        raise LinkRefused(RefusalReason.FORGED)
    session.add(BuyInSurveyAnswer(round_id=row.id, **answer.answers()))
    await buy_in.stage_buy_in_changed(session, plan)
    await session.commit()
