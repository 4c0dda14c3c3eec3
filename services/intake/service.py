"""Intake's clinics, assessments and purchase reviews: plain keyword-only functions the routes call.

Every read and write is scoped to one officer: a clinic of another officer is simply not
found, so the API answers 404 and never confirms that it exists.
"""

from uuid import UUID

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import scoring
from services.intake.models import (
    Assessment,
    AssessmentPublic,
    AssessmentSubmit,
    Clinic,
    ClinicCreate,
    ClinicUpdate,
    Officer,
    Questionnaire,
)
from services.intake.purchase_review_models import PurchaseReview, PurchaseReviewSubmit
from shared import clock
from shared.calendar import DEFAULT_TIME_ZONE
from shared.errors import Conflict, NotFound, Refused
from shared.events.intake import (
    AssessmentCompleted,
    ClinicArchived,
    ClinicRegistered,
    ClinicUpdated,
    ReadinessGap,
    ReadinessLevel,
    StaffRole,
)
from shared.outbox import add_to_outbox

SOURCE = "/faio/intake"
MAX_PAGE = 200
# Past any portfolio's size, and well inside the database's 64-bit integers.
MAX_OFFSET = 1_000_000


def _refuse_if_archived(clinic: Clinic) -> None:
    if clinic.archived_at is not None:
        raise Conflict(f"clinic {clinic.id} is archived: its history can be read, not changed")


# --- clinics --------------------------------------------------------------------------------


def _staff(clinic: Clinic) -> list[StaffRole]:
    return [StaffRole.model_validate(role) for role in clinic.staff]


async def register_clinic(*, session: AsyncSession, clinic_in: ClinicCreate, officer_id: str) -> Clinic:
    """Store a clinic and stage `intake.clinic.registered.v1` in the same transaction."""
    given = clinic_in.model_dump(mode="json")
    if clinic_in.time_zone is None:
        officer = await session.get(Officer, officer_id)
        given["time_zone"] = officer.time_zone if officer else DEFAULT_TIME_ZONE
    clinic = Clinic.model_validate(given, update={"officer_id": officer_id})
    session.add(clinic)
    add_to_outbox(
        session,
        ClinicRegistered(
            clinic_id=clinic.id,
            officer_id=officer_id,
            name=clinic.name,
            specialty=clinic.specialty,
            locations=clinic.locations,
            staff=clinic_in.staff,
            systems=clinic.systems,
            calendar=clinic.calendar(),
        ),
        source=SOURCE,
        subject=str(clinic.id),
    )
    await session.commit()
    await session.refresh(clinic)
    return clinic


async def get_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> Clinic:
    """The officer's clinic by id; NotFound also when it belongs to another officer (never confirm it)."""
    clinic = await session.get(Clinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} not found in your portfolio; `faio clinic list` shows yours")
    return clinic


async def list_clinics(
    *,
    session: AsyncSession,
    officer_id: str,
    limit: int = 50,
    offset: int = 0,
    specialty: str | None = None,
    level: ReadinessLevel | None = None,
    text: str | None = None,
    include_archived: bool = False,
) -> tuple[list[Clinic], int]:
    """One page of the officer's clinics (by name) and how many match the filters in all."""
    conditions = [col(Clinic.officer_id) == officer_id]
    if not include_archived:
        conditions.append(col(Clinic.archived_at).is_(None))
    if specialty:
        conditions.append(func.lower(col(Clinic.specialty)) == specialty.strip().lower())
    if level:
        conditions.append(col(Clinic.readiness_level) == level)
    if text and text.strip():
        needle = text.strip().lower()
        conditions.append(
            or_(
                func.lower(col(Clinic.name)).contains(needle, autoescape=True),
                func.lower(col(Clinic.notes)).contains(needle, autoescape=True),
            )
        )
    total = (await session.exec(select(func.count()).select_from(Clinic).where(*conditions))).one()
    statement = (
        select(Clinic)
        .where(*conditions)
        .order_by(func.lower(col(Clinic.name)), col(Clinic.id))
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    )
    return list((await session.exec(statement)).all()), int(total)


async def update_clinic(*, session: AsyncSession, clinic: Clinic, changes: ClinicUpdate) -> Clinic:
    """Apply the given fields and stage `intake.clinic.updated.v1` with the whole new profile."""
    _refuse_if_archived(clinic)
    given = changes.model_dump(mode="json", exclude_unset=True)
    changed = []
    for name, value in given.items():
        if value is None:
            continue  # an explicit null means "leave as is"; required fields cannot be emptied
        if getattr(clinic, name) != value:
            setattr(clinic, name, value)
            changed.append(name)
    if not changed:
        return clinic  # nothing changed, nothing to tell anyone
    clinic.updated_at = clock.now()
    session.add(clinic)
    add_to_outbox(
        session,
        ClinicUpdated(
            clinic_id=clinic.id,
            officer_id=clinic.officer_id,
            name=clinic.name,
            specialty=clinic.specialty,
            locations=clinic.locations,
            staff=_staff(clinic),
            systems=clinic.systems,
            calendar=clinic.calendar(),
            changed=changed,
            updated_at=clinic.updated_at,
        ),
        source=SOURCE,
        subject=str(clinic.id),
    )
    await session.commit()
    await session.refresh(clinic)
    return clinic


async def archive_clinic(*, session: AsyncSession, clinic: Clinic) -> Clinic:
    """Take the clinic out of the active portfolio (history stays) and stage `intake.clinic.archived.v1`.

    Archiving twice is harmless: the second call changes nothing and sends nothing.
    """
    if clinic.archived_at is not None:
        return clinic
    clinic.archived_at = clock.now()
    session.add(clinic)
    add_to_outbox(
        session,
        ClinicArchived(clinic_id=clinic.id, officer_id=clinic.officer_id, archived_at=clinic.archived_at),
        source=SOURCE,
        subject=str(clinic.id),
    )
    await session.commit()
    await session.refresh(clinic)
    return clinic


# --- assessments ----------------------------------------------------------------------------


def questionnaire(version: str) -> Questionnaire:
    """The questionnaire of one version; NotFound listing the versions there are."""
    try:
        return scoring.load_questionnaire(version)
    except scoring.UnknownQuestionnaire as error:
        raise NotFound(str(error)) from error


async def submit_assessment(
    *, session: AsyncSession, clinic: Clinic, submission: AssessmentSubmit
) -> Assessment:
    """Score the answers, store the assessment, refresh the clinic's level, stage the event: one commit.

    Raises scoring.InvalidAnswers (one problem per question; the app answers 422 naming each)
    or Refused for an unknown questionnaire version, before anything is written.
    """
    _refuse_if_archived(clinic)
    try:
        questionnaire = scoring.load_questionnaire(
            submission.questionnaire_version or scoring.CURRENT_VERSION
        )
    except scoring.UnknownQuestionnaire as error:
        raise Refused(f"questionnaire_version: {error}") from error
    result = scoring.score_assessment(questionnaire, submission.answers)
    previous = clinic.readiness_score
    assessment = Assessment(
        clinic_id=clinic.id,
        officer_id=clinic.officer_id,
        questionnaire_version=questionnaire.version,
        answers=submission.answers,
        dimension_scores=result.dimension_scores,
        overall_score=result.overall_score,
        level=result.level,
        level_capped_by=result.level_capped_by,
        top_gaps=[gap.model_dump() for gap in result.top_gaps],
    )
    clinic.readiness_level = result.level
    clinic.readiness_score = result.overall_score
    session.add(assessment)
    session.add(clinic)
    add_to_outbox(
        session,
        AssessmentCompleted(
            clinic_id=clinic.id,
            assessment_id=assessment.id,
            questionnaire_version=questionnaire.version,
            overall_score=result.overall_score,
            level=result.level,
            dimension_scores=result.dimension_scores,
            top_gaps=result.top_gaps,
            completed_at=assessment.completed_at,
            officer_id=clinic.officer_id,
            previous_overall_score=previous,
        ),
        source=SOURCE,
        subject=str(clinic.id),
    )
    await session.commit()
    await session.refresh(assessment)
    return assessment


async def list_assessments(*, session: AsyncSession, clinic: Clinic) -> list[Assessment]:
    """The clinic's assessments, oldest first, so progress reads top to bottom."""
    statement = (
        select(Assessment)
        .where(col(Assessment.clinic_id) == clinic.id)
        .order_by(col(Assessment.completed_at), col(Assessment.id))
    )
    return list((await session.exec(statement)).all())


def assessment_public(assessment: Assessment, *, previous: Assessment | None = None) -> AssessmentPublic:
    """The API view of an assessment, with the change since the one before it."""
    return AssessmentPublic(
        id=assessment.id,
        clinic_id=assessment.clinic_id,
        questionnaire_version=assessment.questionnaire_version,
        answers=assessment.answers,
        dimension_scores=assessment.dimension_scores,
        overall_score=assessment.overall_score,
        level=assessment.level,
        level_capped_by=assessment.level_capped_by,
        top_gaps=[ReadinessGap.model_validate(gap) for gap in assessment.top_gaps],
        completed_at=assessment.completed_at,
        change_from_previous=(
            None if previous is None else round(assessment.overall_score - previous.overall_score, 1)
        ),
    )


# --- purchase reviews -----------------------------------------------------------------------


async def review_purchase(
    *, session: AsyncSession, clinic: Clinic, review_in: PurchaseReviewSubmit
) -> PurchaseReview:
    """Answer the five questions for one tool against this clinic's profile, and keep the verdict."""
    verdict, findings = scoring.review_purchase(review_in, staff=_staff(clinic), systems=clinic.systems)
    review = PurchaseReview(
        clinic_id=clinic.id,
        officer_id=clinic.officer_id,
        tool=review_in.tool,
        answers=review_in.model_dump(mode="json"),
        verdict=verdict,
        findings=[finding.model_dump() for finding in findings],
    )
    session.add(review)
    await session.commit()
    await session.refresh(review)
    return review


async def list_purchase_reviews(*, session: AsyncSession, clinic: Clinic) -> list[PurchaseReview]:
    """The clinic's purchase reviews, oldest first."""
    statement = (
        select(PurchaseReview)
        .where(col(PurchaseReview.clinic_id) == clinic.id)
        .order_by(col(PurchaseReview.created_at))
    )
    return list((await session.exec(statement)).all())
