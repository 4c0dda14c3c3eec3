"""The officer's note on a clinic: their own free text, kept in the portal and never in an event. It
is about the work, so text that looks like patient data is refused (shared/free_text.py) with a 422
next to the field."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer import tenancy
from services.portal.officer.models import PortalClinicNote
from services.portal.officer.sessions import utcnow
from services.portal.routes import clinic as clinic_routes
from services.portal.routes.web import OfficerDep, check_csrf, redirect_with_flash
from services.portal.settings import settings_of
from shared.app import SessionDep
from shared.free_text import FreeText

router = APIRouter(include_in_schema=False)


class NoteForm(BaseModel):
    note: FreeText = Field(default="", max_length=2000)


async def clinic_note(session: AsyncSession, officer_id: str, clinic_id: UUID) -> PortalClinicNote | None:
    return await session.get(PortalClinicNote, (officer_id, clinic_id.hex))


@router.post("/clinics/{clinic_id}/note")
async def save_note(clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    typed = str(form.get("note", ""))
    try:
        checked = NoteForm.model_validate({"note": typed})
    except ValidationError as error:
        return await clinic_routes.clinic_page_with_errors(
            request,
            session,
            officer,
            clinic_id,
            errors=clinic_routes.field_errors(error),
            form={"note": typed},
        )
    row = await clinic_note(session, officer.officer_id, clinic_id) or PortalClinicNote(
        officer_id=officer.officer_id, clinic_id=clinic_id.hex
    )
    row.text, row.changed_at = checked.note.strip(), utcnow()
    session.add(row)
    await session.commit()
    text = "Note saved." if row.text else "Note cleared."
    return redirect_with_flash(
        f"/clinics/{clinic_id}#note", kind="ok", text=text, settings=settings_of(request)
    )
