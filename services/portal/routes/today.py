"""Today, and what the officer does with its items besides a gate decision: book a refresher
training for a falling adoption (roadmap's buy-in API, as the officer), take an item off Today once
handled (the portal's own state; the same episode stays off, a new one comes back), and say where
urgent notices are mailed.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, StringConstraints, ValidationError

from services.portal.officer import actions, tenancy
from services.portal.officer.models import PortalDismissal, PortalOfficer
from services.portal.officer.sessions import SignedIn, utcnow
from services.portal.pages import needs
from services.portal.pages.today import today
from services.portal.routes.sign_in import SignInRequest
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import roadmap
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
# A refresher is booked a week out: time to find a slot with the pilot group.
REFRESHER_AFTER = timedelta(days=7)


@router.get("/today", response_class=HTMLResponse)
async def today_page(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    return await _today(request, session, officer)


async def _today(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    typed: str | None = None,
    status_code: int = 200,
) -> Response:
    items = await today(session=session, officer_id=officer.officer_id, now=utcnow())
    record = await session.get(PortalOfficer, officer.officer_id)
    address = record.email if record is not None else None
    return render(
        request,
        "today.html",
        {
            "today": items,
            "notice_email": typed if typed is not None else (address or ""),
            "errors": errors or {},
        },
        officer=officer,
        status_code=status_code,
    )


@router.post("/today/notice-email", response_class=HTMLResponse)
async def set_notice_email(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """Where urgent notices (a decision due, an escalation) are mailed for this officer."""
    form = await check_csrf(request, officer)
    typed = str(form.get("email", "")).strip()
    try:
        checked = SignInRequest(email=typed)
    except ValidationError:
        problem = "enter an email address such as name@clinic.org; urgent notices are mailed there"
        return await _today(
            request, session, officer, errors={"email": problem}, typed=typed, status_code=422
        )
    await actions.remember_email(
        session, officer_id=officer.officer_id, name=officer.officer_name, email=str(checked.email)
    )
    return redirect_with_flash(
        "/today",
        kind="ok",
        text=f"Urgent notices will be mailed to {checked.email}.",
        settings=settings_of(request),
    )


class DismissForm(BaseModel):
    """A Today item's key, as the page gives it, and for a snooze its last day away."""

    key: Annotated[
        str, StringConstraints(max_length=200, pattern=r"^(notice|alert|audit|feed|decline):[^\s]+$")
    ]
    until: date | None = None


# A snooze is for days or weeks: a need set aside longer is dismissed, not snoozed.
MAX_SNOOZE = timedelta(days=90)
GONE = "That item is not on Today any more; reload the page."


@router.post("/today/dismiss")
async def dismiss(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """Take an item off Today (and out of the portfolio's count): for good, or until a date (snooze)."""
    form = await check_csrf(request, officer)
    settings = settings_of(request)
    try:
        item = DismissForm.model_validate({"key": str(form.get("key", ""))})
    except ValidationError:
        return redirect_with_flash("/today", kind="error", text=GONE, settings=settings)
    how, until = needs.DISMISSED, None
    if "until" in form:
        how, until = needs.SNOOZED, _snooze_until(str(form.get("until", "")))
        if until is None:
            problem = (
                "until: pick a day after today and at most 90 days away (a date such as "
                f"{(utcnow() + timedelta(days=7)).date().isoformat()})"
            )
            return await _today(request, session, officer, errors={"until": problem}, status_code=422)
    await session.merge(
        PortalDismissal(officer_id=officer.officer_id, item_key=item.key, how=how, until=until)
    )
    await session.commit()
    text = (
        f"Snoozed until {until:%b %d}: it comes back on Today that day."
        if until is not None
        else "Taken off Today. If it happens again (a new alert, a feed quiet again), it comes back."
    )
    return redirect_with_flash("/today", kind="ok", text=text, settings=settings)


def _snooze_until(typed: str) -> date | None:
    """The snooze's day, if it is a date after today and within MAX_SNOOZE."""
    try:
        until = date.fromisoformat(typed.strip())
    except ValueError:
        return None
    today = utcnow().date()
    return until if today < until <= today + MAX_SNOOZE else None


@router.post("/today/undo")
async def undo(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """Put a dismissed or snoozed item back on Today."""
    form = await check_csrf(request, officer)
    row = await session.get(PortalDismissal, (officer.officer_id, str(form.get("key", ""))[:200]))
    settings = settings_of(request)
    if row is None or row.how == needs.DECIDED:
        return redirect_with_flash("/today", kind="error", text=GONE, settings=settings)
    await session.delete(row)
    await session.commit()
    return redirect_with_flash("/today", kind="ok", text="Back on Today.", settings=settings)


@router.post("/plans/{plan_id}/buy-in/refresher")
async def book_refresher(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    clinic = await tenancy.owned_clinic(
        session=session, clinic_id=plan.clinic_id, officer_id=officer.officer_id
    )
    on = clinic.calendar().day_of(utcnow() + REFRESHER_AFTER)  # a day on the clinic's calendar
    return await act_and_confirm(
        request,
        officer,
        roadmap.record_training(plan_id=plan.id, kind="retraining", status="booked", held_on=on.isoformat()),
        back="/today",
        refused="Roadmap refused the refresher",
        done=f"Refresher booked for {on:%b %d} at {clinic.name}. Once it is held, record who attended "
        "in the plan's buy-in panel on the clinic page.",
    )
