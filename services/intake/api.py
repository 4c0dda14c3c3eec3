"""Intake's HTTP routes: thin, they validate, scope to the calling officer and call service functions."""

import hmac
import ipaddress
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status

from services.intake import officers, scoring, service
from services.intake.models import (
    AssessmentPublic,
    AssessmentSubmit,
    Clinic,
    ClinicCreate,
    ClinicPage,
    ClinicPublic,
    ClinicUpdate,
    Officer,
    OfficerAccount,
    OfficerCreate,
    OfficerEmail,
    OfficerPublic,
    OfficerSettings,
    OfficerToken,
    Questionnaire,
    SignInLink,
    TokenRequest,
    TokensRevoked,
)
from services.intake.purchase_review_models import PurchaseReviewPublic, PurchaseReviewSubmit
from services.intake.settings import IntakeSettings
from shared.app import SessionDep
from shared.auth import ADMIN_HEADER, CurrentOfficer, issue_sign_in_token
from shared.calendar import DEFAULT_TIME_ZONE
from shared.events.intake import ReadinessLevel

router = APIRouter(prefix="/v1")


def _settings(request: Request) -> IntakeSettings:
    return cast(IntakeSettings, request.app.state.runtime.settings)


SettingsDep = Annotated[IntakeSettings, Depends(_settings)]


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def officer_admin(
    request: Request,
    settings: SettingsDep,
    admin_secret: Annotated[str | None, Header(alias=ADMIN_HEADER)] = None,
) -> None:
    """Officer administration: the admin secret when one is set, else only loopback outside production."""
    if settings.admin_secret:
        if admin_secret is None or not hmac.compare_digest(admin_secret, settings.admin_secret):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"officer administration needs the admin secret: send it in the {ADMIN_HEADER} "
                "header (the CLI sends FAIO_ADMIN_SECRET)",
            )
        return
    if settings.environment == "production":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "officer administration is off: set FAIO_ADMIN_SECRET on intake and send it in the "
            f"{ADMIN_HEADER} header",
        )
    if not _loopback(request.client.host if request.client else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "without FAIO_ADMIN_SECRET only callers on intake's own machine may administer officers",
        )


admin_router = APIRouter(prefix="/v1/officers", tags=["officers"], dependencies=[Depends(officer_admin)])


async def owned_clinic(clinic_id: UUID, officer: CurrentOfficer, session: SessionDep) -> Clinic:
    """The calling officer's clinic, or 404 (also for another officer's: never confirm it exists)."""
    return await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)


OwnedClinic = Annotated[Clinic, Depends(owned_clinic)]


# --- officers (administration) ----------------------------------------------------------------


@admin_router.post("", status_code=status.HTTP_201_CREATED, response_model=OfficerToken)
async def create_officer(officer_in: OfficerCreate, session: SessionDep, settings: SettingsDep) -> object:
    """Create an officer and their first token (shown this once); 409 when the email is taken."""
    officer = await officers.create_officer(session=session, officer_in=officer_in)
    return officers.token_for(officer, settings)


@admin_router.get("", response_model=list[OfficerAccount])
async def list_officers(session: SessionDep) -> object:
    """Every officer, oldest first (never a token)."""
    return [officers.account(officer) for officer in await officers.list_officers(session=session)]


@admin_router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=OfficerToken)
async def issue_officer_token(request_in: TokenRequest, session: SessionDep, settings: SettingsDep) -> object:
    """A new token for an existing officer; `revoke_previous` refuses every earlier one first."""
    officer = await officers.officer_by_email(session=session, email=request_in.email)
    if request_in.revoke_previous:
        officer = await officers.revoke_tokens(session=session, officer=officer)
    return officers.token_for(officer, settings)


@admin_router.post("/token-revocations", response_model=TokensRevoked)
async def revoke_officer_tokens(officer_in: OfficerEmail, session: SessionDep) -> object:
    """Refuse every token the officer has; `intake.officer.tokens-revoked.v1` tells the other services."""
    officer = await officers.officer_by_email(session=session, email=officer_in.email)
    officer = await officers.revoke_tokens(session=session, officer=officer)
    return TokensRevoked(
        officer=officers.account(officer),
        detail="every earlier token is refused; issue a new one with "
        f"`faio officer token --email {officer.email}`",
    )


@admin_router.post("/sign-in-links", status_code=status.HTTP_201_CREATED, response_model=SignInLink)
async def create_sign_in_link(officer_in: OfficerEmail, session: SessionDep, settings: SettingsDep) -> object:
    """A one-time portal sign-in link, valid 15 minutes."""
    officer = await officers.officer_by_email(session=session, email=officer_in.email)
    token, expires_at = issue_sign_in_token(
        settings, officer_id=officer.id, name=officer.name, token_version=officer.token_version
    )
    url = f"{settings.portal_url.rstrip('/')}/sign-in?token={token}"
    return SignInLink(officer_id=officer.id, url=url, expires_at=expires_at)


@router.get("/officers/me", response_model=OfficerPublic, tags=["officers"])
async def who_am_i(officer: CurrentOfficer, session: SessionDep) -> object:
    """The officer the bearer token belongs to, with their settings."""
    stored = await session.get(Officer, officer.id)
    time_zone = stored.time_zone if stored else DEFAULT_TIME_ZONE
    return OfficerPublic(id=officer.id, name=officer.name, time_zone=time_zone)


@router.patch("/officers/me", response_model=OfficerPublic, tags=["officers"])
async def update_my_settings(
    settings_in: OfficerSettings, officer: CurrentOfficer, session: SessionDep
) -> object:
    """Set the officer's own time zone: the zone a new clinic gets unless it names its own."""
    stored = await officers.set_time_zone(
        session=session, officer_id=officer.id, time_zone=settings_in.time_zone
    )
    return OfficerPublic(id=stored.id, name=stored.name, time_zone=stored.time_zone)


# --- clinics ------------------------------------------------------------------------------------


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
    offset: Annotated[int, Query(ge=0, le=service.MAX_OFFSET)] = 0,
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
    return await service.update_clinic(session=session, clinic=clinic, changes=changes)


@router.post("/clinics/{clinic_id}/archive", response_model=ClinicPublic, tags=["clinics"])
async def archive_clinic(clinic: OwnedClinic, session: SessionDep) -> object:
    """Archive a clinic: it leaves the list, keeps its history; intake.clinic.archived.v1 goes out."""
    return await service.archive_clinic(session=session, clinic=clinic)


# --- assessments --------------------------------------------------------------------------------


@router.get("/assessment/questionnaire", response_model=Questionnaire, tags=["assessment"])
async def read_questionnaire(
    _officer: CurrentOfficer,
    version: Annotated[str, Query(max_length=20)] = scoring.CURRENT_VERSION,
) -> object:
    """The AI Readiness Assessment questionnaire (current version unless one is named)."""
    return service.questionnaire(version)


@router.post(
    "/clinics/{clinic_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentPublic,
    tags=["assessment"],
)
async def submit_assessment(clinic: OwnedClinic, submission: AssessmentSubmit, session: SessionDep) -> object:
    """Score a completed questionnaire; 422 names every question that is unknown, out of range or missing."""
    previous = await service.list_assessments(session=session, clinic=clinic)
    assessment = await service.submit_assessment(session=session, clinic=clinic, submission=submission)
    return service.assessment_public(assessment, previous=previous[-1] if previous else None)


@router.get("/clinics/{clinic_id}/assessments", response_model=list[AssessmentPublic], tags=["assessment"])
async def list_assessments(clinic: OwnedClinic, session: SessionDep) -> object:
    """Every assessment of the clinic, oldest first, each with its change since the one before."""
    assessments = await service.list_assessments(session=session, clinic=clinic)
    return [
        service.assessment_public(assessment, previous=assessments[index - 1] if index else None)
        for index, assessment in enumerate(assessments)
    ]


# --- purchase reviews ---------------------------------------------------------------------------


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
