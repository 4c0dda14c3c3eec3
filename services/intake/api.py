"""Intake's HTTP routes: thin, they validate, scope to the calling officer and call service functions."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError

from services.intake import scoring, service
from services.intake.models import (
    AssessmentPublic,
    AssessmentSubmit,
    Clinic,
    ClinicCreate,
    ClinicPage,
    ClinicPublic,
    ClinicUpdate,
    OfficerPublic,
    PurchaseReviewPublic,
    PurchaseReviewSubmit,
    Questionnaire,
)
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.events.intake import ReadinessLevel

router = APIRouter(prefix="/v1")


async def owned_clinic(clinic_id: UUID, officer: CurrentOfficer, session: SessionDep) -> Clinic:
    """The calling officer's clinic, or 404 (also for another officer's: never confirm it exists)."""
    clinic = await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    if clinic is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"clinic {clinic_id} not found in your portfolio")
    return clinic


OwnedClinic = Annotated[Clinic, Depends(owned_clinic)]


def _archived(clinic: Clinic) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT, f"clinic {clinic.id} is archived: its history can be read, not changed"
    )


@router.get("/officers/me", response_model=OfficerPublic, tags=["officers"])
async def who_am_i(officer: CurrentOfficer) -> object:
    """The officer the bearer token belongs to."""
    return OfficerPublic(id=officer.id, name=officer.name)


@router.post("/clinics", status_code=status.HTTP_201_CREATED, response_model=ClinicPublic, tags=["clinics"])
async def register_clinic(clinic_in: ClinicCreate, officer: CurrentOfficer, session: SessionDep) -> object:
    """Register a clinic in the officer's portfolio."""
    return await service.register_clinic(session=session, clinic_in=clinic_in, officer_id=officer.id)


@router.get("/clinics", response_model=ClinicPage, tags=["clinics"])
async def list_clinics(
    *,
    officer: CurrentOfficer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    specialty: Annotated[str | None, Query(max_length=100)] = None,
    level: Annotated[
        ReadinessLevel | None, Query(description="readiness level of the latest assessment")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the name or notes")] = None,
    include_archived: bool = False,
) -> object:
    """The officer's clinics by name, a page at a time, with filters."""
    items, total = await service.list_clinics(
        session=session,
        officer_id=officer.id,
        limit=limit,
        offset=offset,
        specialty=specialty,
        level=level,
        text=q,
        include_archived=include_archived,
    )
    return ClinicPage(
        items=[ClinicPublic.model_validate(item, from_attributes=True) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/clinics/{clinic_id}", response_model=ClinicPublic, tags=["clinics"])
async def read_clinic(clinic: OwnedClinic) -> object:
    """One clinic."""
    return clinic


@router.patch("/clinics/{clinic_id}", response_model=ClinicPublic, tags=["clinics"])
async def update_clinic(clinic: OwnedClinic, changes: ClinicUpdate, session: SessionDep) -> object:
    """Change some of a clinic's profile; other services hear it on intake.clinic.updated.v1."""
    try:
        return await service.update_clinic(session=session, clinic=clinic, changes=changes)
    except service.ClinicArchivedError as error:
        raise _archived(clinic) from error


@router.post("/clinics/{clinic_id}/archive", response_model=ClinicPublic, tags=["clinics"])
async def archive_clinic(clinic: OwnedClinic, session: SessionDep) -> object:
    """Archive a clinic: it leaves the list, keeps its history; intake.clinic.archived.v1 goes out."""
    return await service.archive_clinic(session=session, clinic=clinic)


@router.get("/assessment/questionnaire", response_model=Questionnaire, tags=["assessment"])
async def read_questionnaire(
    _officer: CurrentOfficer,
    version: Annotated[str, Query(max_length=20)] = scoring.CURRENT_VERSION,
) -> object:
    """The AI Readiness Assessment questionnaire (current version unless one is named)."""
    try:
        return scoring.load_questionnaire(version)
    except scoring.UnknownQuestionnaire as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post(
    "/clinics/{clinic_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentPublic,
    tags=["assessment"],
)
async def submit_assessment(clinic: OwnedClinic, submission: AssessmentSubmit, session: SessionDep) -> object:
    """Score a completed questionnaire; 422 names every question that is unknown, out of range or missing."""
    previous = await service.list_assessments(session=session, clinic=clinic)
    try:
        assessment = await service.submit_assessment(session=session, clinic=clinic, submission=submission)
    except scoring.InvalidAnswers as error:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "answers", problem.question_id),
                    "msg": f"question {problem.question_id}: {problem.message}",
                    "input": submission.answers.get(problem.question_id),
                }
                for problem in error.problems
            ]
        ) from error
    except scoring.UnknownQuestionnaire as error:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "questionnaire_version"),
                    "msg": str(error),
                    "input": submission.questionnaire_version,
                }
            ]
        ) from error
    except service.ClinicArchivedError as error:
        raise _archived(clinic) from error
    return service.assessment_public(assessment, previous=previous[-1] if previous else None)


@router.get("/clinics/{clinic_id}/assessments", response_model=list[AssessmentPublic], tags=["assessment"])
async def list_assessments(clinic: OwnedClinic, session: SessionDep) -> object:
    """Every assessment of the clinic, oldest first, each with its change since the one before."""
    assessments = await service.list_assessments(session=session, clinic=clinic)
    return [
        service.assessment_public(assessment, previous=assessments[index - 1] if index else None)
        for index, assessment in enumerate(assessments)
    ]


@router.post(
    "/clinics/{clinic_id}/purchase-reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=PurchaseReviewPublic,
    tags=["purchase reviews"],
)
async def review_purchase(
    clinic: OwnedClinic, review_in: PurchaseReviewSubmit, session: SessionDep
) -> object:
    """The five questions before buying an AI tool: ready to buy, or not yet and why."""
    review = await service.review_purchase(session=session, clinic=clinic, review_in=review_in)
    return PurchaseReviewPublic.model_validate(review, from_attributes=True)


@router.get(
    "/clinics/{clinic_id}/purchase-reviews",
    response_model=list[PurchaseReviewPublic],
    tags=["purchase reviews"],
)
async def list_purchase_reviews(clinic: OwnedClinic, session: SessionDep) -> object:
    """The clinic's purchase reviews, oldest first."""
    reviews = await service.list_purchase_reviews(session=session, clinic=clinic)
    return [PurchaseReviewPublic.model_validate(review, from_attributes=True) for review in reviews]
