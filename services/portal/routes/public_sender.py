"""Who sent a public link, by name: the officer behind a prospect invite (its subject), a clinic's
task audit or a plan's survey (through the portal's read model). The public forms name them, so a
practice sees whose link it opened (and their logo, if they uploaded one); nothing is shown when
the portal does not know them."""

from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from sqlmodel import col, select

from services.portal.officer import logo
from services.portal.officer.models import PortalOfficer
from services.portal.read_model.models import PortalAudit, PortalClinic, PortalOpenAudit, PortalPlan
from services.portal.settings import settings_of
from shared.public_links import LinkPurpose, LinkRefused, verify_link


@dataclass(frozen=True)
class Sender:
    """The officer behind a link, as public_base.html shows them: a name, and a logo URL or ""."""

    name: str = ""
    logo_url: str = ""


async def sender_of(request: Request, token: str, purpose: LinkPurpose) -> Sender:
    """The officer whose link this is; nobody when unknown or the link does not verify."""
    try:
        claims = verify_link(settings_of(request), token, purpose=purpose)
    except LinkRefused:
        return Sender()
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
        if officer is None:
            return Sender()
        return Sender(name=officer.name, logo_url=logo.url_of(await logo.logo_of(session, officer.id)))


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
