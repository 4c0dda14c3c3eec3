"""Who sent a public link, by name: the officer behind a prospect invite (its subject), a clinic's
task audit or a plan's survey (through the portal's read model). The public forms name them, so a
practice sees whose link it opened; nothing is shown when the portal does not know them."""

from uuid import UUID

from fastapi import Request
from sqlmodel import col, select

from services.portal.officer.models import PortalOfficer
from services.portal.read_model.models import PortalAudit, PortalClinic, PortalOpenAudit, PortalPlan
from services.portal.settings import settings_of
from shared.public_links import LinkPurpose, LinkRefused, verify_link


async def sender_of(request: Request, token: str, purpose: LinkPurpose) -> str:
    """The name of the officer whose link this is; "" when unknown or the link does not verify."""
    try:
        claims = verify_link(settings_of(request), token, purpose=purpose)
    except LinkRefused:
        return ""
    async with request.app.state.runtime.sessions() as session:
        officer_id: str | None = None
        if purpose == LinkPurpose.PROSPECT:
            officer_id = claims.subject_id
        else:
            clinic_id = None
            if purpose == LinkPurpose.TASK_LOG:
                audit_id = _uuid(claims.subject_id)
                for table in (PortalOpenAudit, PortalAudit):
                    if audit_id is not None and clinic_id is None:
                        found = await session.exec(
                            select(table.clinic_id).where(col(table.audit_id) == audit_id)
                        )
                        clinic_id = found.first()
            elif purpose == LinkPurpose.BUY_IN_SURVEY:
                # The survey link names the plan only (its clinic is the tenant of the plan's row).
                found_plan = await session.exec(
                    select(PortalPlan.clinic_id).where(col(PortalPlan.id) == claims.subject_id)
                )
                clinic_id = found_plan.first()
            clinic = await session.get(PortalClinic, clinic_id) if clinic_id is not None else None
            officer_id = clinic.officer_id if clinic is not None else None
        officer = await session.get(PortalOfficer, officer_id) if officer_id else None
    return officer.name if officer is not None else ""


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
