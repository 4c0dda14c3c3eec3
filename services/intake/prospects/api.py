"""Prospect routes: the officer's invites and leads, and the public short form a prospect answers.

Public routes take the invite token in the X-Faio-Link header (shared/public_links.py); the
portal serves the page and calls them server-side.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, status

from services.intake.api import OwnedClinic, SettingsDep
from services.intake.models import ClinicPublic
from services.intake.prospects import service as prospects
from services.intake.prospects.models import (
    AssessmentDraft,
    LeadConversion,
    ProspectForm,
    ProspectInviteCreate,
    ProspectInvitePublic,
    ProspectLeadPublic,
    ProspectResult,
    ProspectSubmit,
)
from services.intake.prospects.tables import ProspectInvite
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.public_links import (
    LINK_HEADER,
    LinkPurpose,
    RateLimit,
    check_submission,
    issue_form_stamp,
    issue_link,
    verify_link,
)

router = APIRouter(prefix="/v1", tags=["prospects"])
public_router = APIRouter(prefix="/v1/public", tags=["public forms"])

# Per link: a practice answers once or twice; a link posted publicly cannot flood the leads.
# (Per-client limits live at the portal, which sees the prospect's address.)
SUBMISSIONS_PER_LINK = RateLimit("20/hour", scope="prospect-form-link")
PUBLIC_PAGE = "/p/{token}"


@router.post("/prospect-invites", status_code=status.HTTP_201_CREATED, response_model=ProspectInvitePublic)
async def create_invite(
    invite_in: ProspectInviteCreate, officer: CurrentOfficer, session: SessionDep, settings: SettingsDep
) -> object:
    """A link a prospect practice opens without an account (shown once: intake keeps no copy)."""
    invite = await prospects.create_invite(session=session, officer_id=officer.id, invite_in=invite_in)
    token = issue_link(
        settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=str(invite.id),
        subject_id=officer.id,
        expires_at=invite.expires_at,
    )
    url = settings.portal_url.rstrip("/") + PUBLIC_PAGE.format(token=token)
    return prospects.invite_public(invite, url=url, token=token)


@router.get("/prospect-invites", response_model=list[ProspectInvitePublic])
async def list_invites(officer: CurrentOfficer, session: SessionDep) -> object:
    """The officer's invites, newest first, with how many leads each brought."""
    return await prospects.list_invites(session=session, officer_id=officer.id)


@router.post("/prospect-invites/{invite_id}/revoke", response_model=ProspectInvitePublic)
async def revoke_invite(invite_id: UUID, officer: CurrentOfficer, session: SessionDep) -> object:
    """Refuse the invite's link from now on; leads it brought stay."""
    invite = await prospects.get_invite(session=session, invite_id=invite_id, officer_id=officer.id)
    return prospects.invite_public(await prospects.revoke_invite(session=session, invite=invite))


@router.get("/prospects", response_model=list[ProspectLeadPublic])
async def list_leads(
    officer: CurrentOfficer,
    session: SessionDep,
    include_converted: Annotated[bool, Query(description="also leads already made clinics")] = False,
) -> object:
    """The officer's leads (prospects that answered the short form), newest first."""
    return await prospects.list_leads(
        session=session, officer_id=officer.id, include_converted=include_converted
    )


@router.post("/prospects/{lead_id}/convert", status_code=status.HTTP_201_CREATED, response_model=ClinicPublic)
async def convert_lead(
    lead_id: UUID, officer: CurrentOfficer, session: SessionDep, conversion: LeadConversion | None = None
) -> object:
    """Make the lead a clinic in one action; its answers begin the clinic's full assessment."""
    lead = await prospects.get_lead(session=session, lead_id=lead_id, officer_id=officer.id)
    return await prospects.convert_lead(session=session, lead=lead, conversion=conversion or LeadConversion())


@router.get("/clinics/{clinic_id}/assessment-draft", response_model=AssessmentDraft, tags=["assessment"])
async def assessment_draft(clinic: OwnedClinic, session: SessionDep) -> object:
    """The full assessment begun with the prospect form's answers, and the questions still open."""
    return await prospects.assessment_draft(session=session, clinic=clinic)


# --- public: the prospect, without an account ----------------------------------------------------


async def live_invite(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Header(alias=LINK_HEADER, description="the invite link's token")] = "",
) -> ProspectInvite:
    """The invite the link names: refused (422 saying what to do) when expired, forged or revoked."""
    claims = verify_link(settings, token, purpose=LinkPurpose.PROSPECT)
    return await prospects.live_invite(session=session, claims=claims)


LiveInvite = Annotated[ProspectInvite, Depends(live_invite)]


@public_router.get("/prospect-form", response_model=ProspectForm)
async def prospect_form(invite: LiveInvite, settings: SettingsDep) -> object:
    """The short assessment's questions and a signed fill-time stamp to send back."""
    form = prospects.short_form()
    return ProspectForm(
        title=form.title,
        questionnaire_version=form.version,
        dimensions=form.dimensions,
        questions=form.questions,
        form_stamp=issue_form_stamp(settings, link_id=str(invite.id)),
        expires_at=invite.expires_at,
        minutes=prospects.FORM_MINUTES,
    )


@public_router.post("/prospect-form", status_code=status.HTTP_201_CREATED, response_model=ProspectResult)
async def submit_prospect_form(
    submission: ProspectSubmit,
    invite: LiveInvite,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> object:
    """Score the answers and show them: a score per dimension and three next steps."""
    await SUBMISSIONS_PER_LINK.hit(str(invite.id), request)
    check_submission(
        settings,
        link_id=str(invite.id),
        honeypot=submission.website,
        form_stamp=submission.form_stamp,
        min_fill_seconds=prospects.MIN_FILL_SECONDS,
    )
    return await prospects.submit_prospect_form(session=session, invite=invite, submission=submission)
