"""The anonymous buy-in survey: rounds the officer opens (one per stage), one-time links, answers.

Anonymous by construction:
- each person asked gets their own single-use link; faio keeps only the SHA-256 of its token and a
  used flag, never who it was for nor which answer it gave (answers have random ids, no time);
- a link takes one answer, and the form stamp is bound to the link, so it takes one answer too;
- a round shows results only once it has closed (the officer closes it, it expires, or the plan
  leaves the stage's phases), and only from five answers; while open, not even a count is told.

Staff answer through the portal's public page without an account; the portal passes the link
token to roadmap's public endpoints.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.models import Initiative, RoadmapClinic, RoadmapPlan
from services.roadmap.plans.buy_in import service as buy_in
from services.roadmap.plans.buy_in.models import (
    LIKERT_LABELS,
    QUESTION_TEXT,
    BuyInSurveyAnswer,
    BuyInSurveyLink,
    BuyInSurveyRound,
    PublicQuestion,
    PublicSurvey,
    SurveyAnswerIn,
    SurveyLinkPublic,
    SurveyRoundIn,
)
from shared import clock
from shared.errors import Conflict, NotFound, Refused
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
NO_ROSTER = (
    "links: plan {plan} has no staff roster yet (owner, pilot group or trained staff); "
    "say how many people to ask, e.g. links: 12"
)


def token_hash(token: str) -> str:
    """What faio keeps of a link: the SHA-256 of its token (the token itself is shown once)."""
    return hashlib.sha256(token.encode()).hexdigest()


def page_url(settings: SharedSettings, token: str) -> str:
    """The portal page a link token opens (the portal's public address from roadmap's settings)."""
    base = str(getattr(settings, "portal_public_url", "")).rstrip("/")
    return f"{base}/survey/{token}" if token else ""


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


is_open = buy_in.round_is_open


async def roster_of(session: AsyncSession, plan: RoadmapPlan) -> list[str]:
    """The plan's staff as faio knows them (pseudonyms): its owner, pilot group and trained staff."""
    initiative = await session.get(Initiative, (plan.clinic_id, plan.initiative_id))
    people = set(initiative.pilot_group) | {initiative.owner} if initiative else set()
    trainings = await buy_in.trainings_of(session, plan.clinic_id, plan.id)
    people |= {staff for row in trainings for staff in row.attendees}
    return sorted(person for person in people if person)


def _issue(
    session: AsyncSession, settings: SharedSettings, row: BuyInSurveyRound, roster: list[str]
) -> list[SurveyLinkPublic]:
    """One single-use link per roster entry; only each token's hash is added to the session."""
    links = []
    for person in roster:
        token = issue_link(
            settings,
            purpose=LinkPurpose.BUY_IN_SURVEY,
            link_id=str(row.id),
            subject_id=row.plan_id,
            expires_at=_utc(row.expires_at),
            nonce=secrets.token_urlsafe(16),
        )
        session.add(BuyInSurveyLink(token_hash=token_hash(token), clinic_id=row.clinic_id, round_id=row.id))
        links.append(SurveyLinkPublic(roster=person, link_token=token, link_url=page_url(settings, token)))
    return links


async def open_round(
    *,
    session: AsyncSession,
    settings: SharedSettings,
    plan: RoadmapPlan,
    officer_id: str,
    request: SurveyRoundIn,
) -> tuple[BuyInSurveyRound, list[SurveyLinkPublic]]:
    """Open the survey round of a stage and issue its links (one per person); one round per stage."""
    if plan.phase in FINAL_PHASES:
        raise Conflict(f"plan {plan.id} is {plan.phase}; no more survey rounds")
    phases = STAGE_PHASES[request.stage]
    if plan.phase not in phases:
        raise Conflict(
            f"the {request.stage} round runs while the plan is in {' or '.join(phases)}; "
            f"plan {plan.id} is in {plan.phase}"
        )
    roster = [""] * request.links if request.links else await roster_of(session, plan)
    if not roster:
        raise Refused(NO_ROSTER.format(plan=plan.id))
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
        "(more links for it: POST /v1/plans/<id>/buy-in/surveys/<round-id>/links)"
    )
    try:
        await session.flush()  # the round's row before its links (their foreign key)
        links = _issue(session, settings, row, roster)
        await buy_in.stage_buy_in_changed(session, plan)
        await session.commit()
    except IntegrityError as error:  # the plan's objects expire with the rollback: the message is ready
        await session.rollback()
        raise one_per_stage from error
    return row, links


async def _round_of_plan(session: AsyncSession, plan: RoadmapPlan, round_id: UUID) -> BuyInSurveyRound:
    row = await session.get(BuyInSurveyRound, (plan.clinic_id, round_id))
    if row is None or row.plan_id != plan.id:
        raise NotFound(f"survey round {round_id} not found in plan {plan.id}")
    return row


async def more_links(
    *, session: AsyncSession, settings: SharedSettings, plan: RoadmapPlan, round_id: UUID, count: int
) -> tuple[BuyInSurveyRound, list[SurveyLinkPublic]]:
    """More single-use links for an open round (a colleague joined, a link was lost)."""
    row = await _round_of_plan(session, plan, round_id)
    if not is_open(row, plan):
        raise Conflict(f"the {row.stage} survey round has closed; it takes no more answers")
    links = _issue(session, settings, row, [""] * count)
    await session.commit()
    return row, links


async def revoke_round(*, session: AsyncSession, plan: RoadmapPlan, round_id: UUID) -> BuyInSurveyRound:
    """Close a round early: its links open nothing from now on, and its results can show."""
    row = await _round_of_plan(session, plan, round_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        session.add(row)
        await buy_in.stage_buy_in_changed(session, plan)
        await session.commit()
    return row


async def close_rounds_past_phase(session: AsyncSession, plan: RoadmapPlan) -> bool:
    """Close the rounds whose stage the plan has left (staged with the phase change); True if any."""
    closed = False
    for row in await buy_in.rounds_of(session, plan.clinic_id, plan.id):
        if row.closed_at is None and row.revoked_at is None and plan.phase not in STAGE_PHASES[row.stage]:
            row.closed_at = clock.now()
            session.add(row)
            closed = True
    if closed:
        await buy_in.stage_buy_in_changed(session, plan)
    return closed


async def link_of(
    session: AsyncSession, settings: SharedSettings, token: str
) -> tuple[BuyInSurveyRound, RoadmapPlan, BuyInSurveyLink]:
    """The round, plan and link row a token opens; LinkRefused (expired, forged, revoked, closed, used)."""
    claims = verify_link(settings, token, purpose=LinkPurpose.BUY_IN_SURVEY)
    try:
        round_id = UUID(claims.link_id)
    except ValueError as error:
        raise LinkRefused(RefusalReason.FORGED) from error
    # The link is found by its token alone; it names the round's clinic, the tenant of the rest.
    link = await session.get(BuyInSurveyLink, token_hash(token))
    row = await session.get(BuyInSurveyRound, (link.clinic_id, round_id)) if link is not None else None
    if row is None or row.plan_id != claims.subject_id or link is None or link.round_id != row.id:
        raise LinkRefused(RefusalReason.FORGED)
    if row.revoked_at is not None:
        raise LinkRefused(RefusalReason.REVOKED)
    plan = await session.get(RoadmapPlan, (row.clinic_id, row.plan_id))
    if plan is None:
        raise LinkRefused(RefusalReason.FORGED)
    if not is_open(row, plan):
        raise LinkRefused(RefusalReason.CLOSED)
    if link.used:
        raise LinkRefused(RefusalReason.USED)
    return row, plan, link


async def public_survey(*, session: AsyncSession, settings: SharedSettings, token: str) -> PublicSurvey:
    """What staff see: the practice's name, the five questions and the scale; nothing about the plan."""
    row, _plan, link = await link_of(session, settings, token)
    clinic = await session.get(RoadmapClinic, row.clinic_id)
    return PublicSurvey(
        clinic_name=clinic.name if clinic else "your practice",
        stage=row.stage,
        questions=[PublicQuestion(key=key, text=QUESTION_TEXT[key]) for key in SURVEY_QUESTIONS],
        scale=list(LIKERT_LABELS),
        closes_at=row.expires_at,
        form_stamp=issue_form_stamp(settings, link_id=link.token_hash),  # this link's form only
    )


async def record_answer(
    *, session: AsyncSession, settings: SharedSettings, answer: SurveyAnswerIn, min_fill_seconds: float
) -> None:
    """Store one anonymous answer through an unused link (a person, not a bot, filled it).

    No event is staged: an event per answer would be a live counter of who just answered.
    """
    row, _plan, link = await link_of(session, settings, answer.token)
    check_submission(
        settings,
        link_id=link.token_hash,
        honeypot=answer.website,
        form_stamp=answer.form_stamp,
        min_fill_seconds=min_fill_seconds,
    )
    # Claim the link in the answer's transaction; a concurrent answer through it claims nothing.
    claimed = await session.exec(
        update(BuyInSurveyLink)
        .where(col(BuyInSurveyLink.token_hash) == link.token_hash, col(BuyInSurveyLink.used).is_(False))
        .values(used=True)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        raise LinkRefused(RefusalReason.USED)
    # The round's clinic is the answer's tenant; nothing about who answered is added.
    answer_row = {"clinic_id": row.clinic_id, "round_id": row.id, **answer.answers()}
    session.add(BuyInSurveyAnswer.model_validate(answer_row))
    await session.commit()
