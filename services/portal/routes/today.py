"""What the officer does with a Today item besides a gate decision: book a refresher training for a
falling adoption (roadmap's buy-in API, as the officer), or take an item off Today once handled
(the portal's own state; the same episode stays off, a new one comes back).
"""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints, ValidationError

from services.portal import actions, clinic_view
from services.portal.models import PortalDismissal
from services.portal.sessions import utcnow
from services.portal.web import OfficerDep, check_csrf, redirect_with_flash, settings_of
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
# A refresher is booked a week out: time to find a slot with the pilot group.
REFRESHER_AFTER = timedelta(days=7)


class DismissForm(BaseModel):
    """A Today item's key, as the page gives it (notice:, alert:, audit: or feed:)."""

    key: Annotated[str, StringConstraints(max_length=200, pattern=r"^(notice|alert|audit|feed):[^\s]+$")]


@router.post("/today/dismiss")
async def dismiss(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    settings = settings_of(request)
    try:
        item = DismissForm.model_validate({"key": str(form.get("key", ""))})
    except ValidationError:
        return redirect_with_flash(
            "/today",
            kind="error",
            text="That item is not on Today any more; reload the page.",
            settings=settings,
        )
    await session.merge(PortalDismissal(officer_id=officer.officer_id, item_key=item.key))
    await session.commit()
    return redirect_with_flash(
        "/today",
        kind="ok",
        text="Taken off Today. If it happens again (a new alert, a feed quiet again), it comes back.",
        settings=settings,
    )


@router.post("/plans/{plan_id}/buy-in/refresher")
async def book_refresher(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    plan = await clinic_view.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    clinic = await clinic_view.owned_clinic(
        session=session, clinic_id=plan.clinic_id, officer_id=officer.officer_id
    )
    on = clinic.calendar().day_of(utcnow() + REFRESHER_AFTER)  # a day on the clinic's calendar
    return await actions.act_and_confirm(
        request,
        officer,
        service="roadmap",
        method="POST",
        path=f"/v1/plans/{plan.id}/buy-in/trainings",
        body={"kind": "retraining", "status": "booked", "held_on": on.isoformat()},
        back="/today",
        refused="Roadmap refused the refresher",
        done=f"Refresher booked for {on:%b %d} on plan {plan.id}. Once it is held, record who attended "
        f"(`faio plan buy-in show {plan.id}` lists it, `faio plan buy-in attend` records it).",
    )
