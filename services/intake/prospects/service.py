"""The prospect's entry point: invite links, the short readiness assessment, leads, conversion.

The short form is twelve questions of the full questionnaire, at least one per dimension, scored
by the same rules (scoring.py) over just those questions. Converting a lead registers a clinic
(the usual `intake.clinic.registered.v1`); the lead's answers then begin its full assessment.
"""

from datetime import timedelta
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import scoring, service
from services.intake.models import AnswerValue, Clinic, ClinicCreate, Questionnaire
from services.intake.prospects.models import (
    AssessmentDraft,
    DimensionScore,
    LeadConversion,
    ProspectInviteCreate,
    ProspectInvitePublic,
    ProspectLeadPublic,
    ProspectResult,
    ProspectSubmit,
)
from services.intake.prospects.tables import ProspectInvite, ProspectLead
from shared import clock
from shared.errors import Conflict, NotFound, Refused
from shared.public_links import LinkClaims, LinkRefused, RefusalReason

# Twelve questions, five minutes: the strongest signal of each dimension (and a second one
# where a dimension has one question that says much more than the rest).
SHORT_FORM = (
    "lead_sponsor",
    "lead_priority",
    "wf_documented",
    "wf_consistency",
    "staff_attitude",
    "staff_champion",
    "data_emr",
    "data_quality",
    "meas_kpis",
    "meas_baseline",
    "comp_baa",
    "budget_allocated",
)
FORM_MINUTES = 5
# Faster than this, no person read twelve questions.
MIN_FILL_SECONDS = 20.0
# When the prospect already does well everywhere, the steps are still the method's next ones.
DEFAULT_NEXT_STEPS = (
    "Book the full 60-minute readiness audit with your AI officer.",
    "Ask every team member to log their recurring tasks for one week.",
    "Agree on the one problem to solve first, with a measurable target.",
)


def short_form(version: str = scoring.CURRENT_VERSION) -> Questionnaire:
    """The prospect's questionnaire: the full one cut to the SHORT_FORM questions, in its order."""
    full = scoring.load_questionnaire(version)
    questions = [question for question in full.questions if question.id in SHORT_FORM]
    # model_construct: the full questionnaire's length bounds (15-25) are for the long form.
    return Questionnaire.model_construct(**{**dict(full), "questions": questions})


def score_short_form(answers: dict[str, AnswerValue]) -> scoring.ReadinessResult:
    """Scores of the short form; scoring.InvalidAnswers names each missing or wrong answer."""
    return scoring.score_assessment(short_form(), answers)


def next_steps(result: scoring.ReadinessResult) -> list[str]:
    """Three next steps: the largest gaps' actions first, then the method's defaults."""
    steps = [gap.next_action for gap in result.top_gaps]
    steps += [step for step in DEFAULT_NEXT_STEPS if step not in steps]
    return steps[:3]


# --- invites ------------------------------------------------------------------------------


async def create_invite(
    *, session: AsyncSession, officer_id: str, invite_in: ProspectInviteCreate
) -> ProspectInvite:
    """Store an invite row; the caller signs a token naming it."""
    invite = ProspectInvite(
        officer_id=officer_id,
        label=invite_in.label.strip(),
        expires_at=clock.now() + timedelta(days=invite_in.expires_in_days),
    )
    session.add(invite)
    await session.commit()
    await session.refresh(invite)
    return invite


async def get_invite(*, session: AsyncSession, invite_id: UUID, officer_id: str) -> ProspectInvite:
    invite = await session.get(ProspectInvite, (officer_id, invite_id))
    if invite is None:
        raise NotFound(f"invite {invite_id} not found among yours; `faio prospect invites` lists them")
    return invite


async def revoke_invite(*, session: AsyncSession, invite: ProspectInvite) -> ProspectInvite:
    """Refuse the invite's link from now on (revoking twice changes nothing)."""
    if invite.revoked_at is None:
        invite.revoked_at = clock.now()
        session.add(invite)
        await session.commit()
        await session.refresh(invite)
    return invite


async def list_invites(*, session: AsyncSession, officer_id: str) -> list[ProspectInvitePublic]:
    """The officer's invites, newest first, each with how many leads it brought."""
    invites = (
        await session.exec(
            select(ProspectInvite)
            .where(col(ProspectInvite.officer_id) == officer_id)
            .order_by(col(ProspectInvite.created_at).desc())
        )
    ).all()
    counts = dict(
        (
            await session.exec(
                select(ProspectLead.invite_id, func.count())
                .where(col(ProspectLead.officer_id) == officer_id)
                .group_by(col(ProspectLead.invite_id))
            )
        ).all()
    )
    return [invite_public(invite, leads=int(counts.get(invite.id, 0))) for invite in invites]


def invite_public(
    invite: ProspectInvite, *, leads: int = 0, url: str | None = None, token: str | None = None
) -> ProspectInvitePublic:
    return ProspectInvitePublic(
        id=invite.id,
        label=invite.label,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        revoked_at=invite.revoked_at,
        leads=leads,
        url=url,
        token=token,
    )


async def live_invite(*, session: AsyncSession, claims: LinkClaims) -> ProspectInvite:
    """The invite a verified link names, unless the officer revoked it (or it is gone)."""
    # The link names its officer (the subject) and the invite: the row's whole key.
    invite = await session.get(ProspectInvite, (claims.subject_id, _uuid(claims.link_id)))
    if invite is None:
        raise LinkRefused(RefusalReason.FORGED)
    if invite.revoked_at is not None:
        raise LinkRefused(RefusalReason.REVOKED)
    return invite


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as error:
        raise LinkRefused(RefusalReason.FORGED) from error


# --- the prospect's answers ---------------------------------------------------------------


async def submit_prospect_form(
    *, session: AsyncSession, invite: ProspectInvite, submission: ProspectSubmit
) -> ProspectResult:
    """Score the short form and keep the lead (contact details only with consent)."""
    result = score_short_form(dict(submission.answers))
    contact = submission.contact if submission.consent else None
    lead = ProspectLead(
        invite_id=invite.id,
        officer_id=invite.officer_id,
        questionnaire_version=scoring.CURRENT_VERSION,
        answers=dict(submission.answers),
        dimension_scores=result.dimension_scores,
        overall_score=result.overall_score,
        level=result.level,
        consent=submission.consent,
        practice_name=contact.practice_name.strip() if contact else "",
        contact_name=contact.contact_name.strip() if contact else "",
        email=str(contact.email or "") if contact else "",
        phone=contact.phone.strip() if contact else "",
    )
    session.add(lead)
    await session.commit()
    labels = {dimension.id: dimension.label for dimension in short_form().dimensions}
    return ProspectResult(
        lead_id=lead.id,
        overall_score=result.overall_score,
        level=result.level,
        level_capped_by=result.level_capped_by,
        scores=[
            DimensionScore(dimension=dimension, label=labels[dimension], score=score)
            for dimension, score in result.dimension_scores.items()
        ],
        next_steps=next_steps(result),
        contact_kept=contact is not None and contact.given,
    )


# --- leads --------------------------------------------------------------------------------


async def list_leads(
    *, session: AsyncSession, officer_id: str, include_converted: bool = False
) -> list[ProspectLeadPublic]:
    """The officer's leads, newest first."""
    conditions = [col(ProspectLead.officer_id) == officer_id]
    if not include_converted:
        conditions.append(col(ProspectLead.clinic_id).is_(None))
    leads = (
        await session.exec(
            select(ProspectLead).where(*conditions).order_by(col(ProspectLead.submitted_at).desc())
        )
    ).all()
    labels = dict(
        (
            await session.exec(
                select(ProspectInvite.id, ProspectInvite.label).where(
                    col(ProspectInvite.officer_id) == officer_id
                )
            )
        ).all()
    )
    return [
        ProspectLeadPublic.model_validate(lead, from_attributes=True).model_copy(
            update={"invite_label": labels.get(lead.invite_id, "")}
        )
        for lead in leads
    ]


async def get_lead(*, session: AsyncSession, lead_id: UUID, officer_id: str) -> ProspectLead:
    lead = await session.get(ProspectLead, (officer_id, lead_id))
    if lead is None:
        raise NotFound(f"lead {lead_id} not found among yours; `faio prospect list` shows them")
    return lead


async def convert_lead(*, session: AsyncSession, lead: ProspectLead, conversion: LeadConversion) -> Clinic:
    """Register the lead's practice as a clinic (one action); its answers begin the full assessment."""
    if lead.clinic_id is not None:
        raise Conflict(
            f"lead {lead.id} is already clinic {lead.clinic_id}; `faio clinic show {lead.clinic_id}`"
        )
    name = conversion.name.strip() or lead.practice_name
    if not name:
        raise Refused(
            "name: the prospect gave no practice name (or no consent to keep it); "
            "give the clinic's name, e.g. --name 'Hillcrest Dermatology'"
        )
    clinic = await service.register_clinic(
        session=session,
        clinic_in=ClinicCreate(name=name, specialty=conversion.specialty, locations=conversion.locations),
        officer_id=lead.officer_id,
    )
    lead.clinic_id = clinic.id
    lead.converted_at = clock.now()
    session.add(lead)
    await session.commit()
    return clinic


async def assessment_draft(*, session: AsyncSession, clinic: Clinic) -> AssessmentDraft:
    """The full assessment begun with the answers of the lead this clinic came from."""
    lead = (await session.exec(select(ProspectLead).where(col(ProspectLead.clinic_id) == clinic.id))).first()
    if lead is None:
        raise NotFound(
            f"clinic {clinic.id} did not come from a prospect lead, so there is no draft; "
            "`faio assessment questionnaire --template` prints an empty one"
        )
    full = scoring.load_questionnaire(lead.questionnaire_version)
    return AssessmentDraft(
        clinic_id=clinic.id,
        lead_id=lead.id,
        questionnaire_version=full.version,
        answers=dict(lead.answers),
        missing=[question.id for question in full.questions if question.id not in lead.answers],
    )
