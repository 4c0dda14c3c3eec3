"""The clinic page, and its forms that act on another service on the officer's behalf: decide at a
gate, pause or resume a plan, approve an initiative, open or close an audit. Each checks CSRF and
ownership in the read model (another officer's plan or clinic is a 404 here, before anything is
sent), then calls the owning service and confirms, or shows that service's reason for refusing.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.portal.officer import actions, staff, tenancy
from services.portal.officer.models import PortalClinicNote, PortalDismissal
from services.portal.officer.sessions import utcnow
from services.portal.pages import needs
from services.portal.pages.clinic import clinic_story
from services.portal.pages.plan_money import plan_money
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, roadmap
from shared.api_client import audit as audit_api
from shared.api_client.vocabulary import GateAction, PlanChange
from shared.app import SessionDep
from shared.free_text import FreeText

router = APIRouter(include_in_schema=False)
MAX_AUDIT_DAYS = 31  # audit's own limit (MAX_WINDOW_DAYS)


class AuditForm(BaseModel):
    """Opening an audit window: how many days staff log (from today)."""

    days: int = Field(default=7, ge=1, le=MAX_AUDIT_DAYS)


class DecisionForm(BaseModel):
    """The gate decision, as roadmap takes it."""

    action: GateAction
    extend_days: float = Field(default=21, gt=0, le=120)
    note: FreeText = Field(default="", max_length=500)


class ApprovalForm(BaseModel):
    """Approving an initiative: who owns it, the target, the pilot group."""

    owner: str = Field(max_length=100)  # blank: the validator says to pick someone
    target_change_pct: float = Field(ge=-100, le=500)
    pilot_group: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("pick who owns it from the clinic's staff (add people on its Staff page)")
        return value.strip()

    @field_validator("target_change_pct")
    @classmethod
    def _target(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a target is a change: e.g. -30 for 30 % less, 25 for 25 % more")
        return value


FIELD_HINTS = {
    "target_change_pct": "a number between -100 and 500, not 0: e.g. -30 for 30 % less",
    "pilot_group": "tick the people in the pilot group (at most 200)",
    "extend_days": "a number of days between 1 and 120",
    "days": f"a whole number of days between 1 and {MAX_AUDIT_DAYS}, e.g. 7",
}


def field_errors(error: ValidationError) -> dict[str, str]:
    """Per form field, what is wrong and what to enter instead."""
    problems: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        message = str(item["msg"]).removeprefix("Value error, ")
        problems[name] = (
            f"{message}. {FIELD_HINTS[name]}" if name in FIELD_HINTS and "e.g." not in message else message
        )
    return problems


@router.get("/clinics/{clinic_id}", response_class=HTMLResponse)
async def clinic_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    story = await clinic_story(
        session=session,
        clinic_id=clinic_id,
        officer_id=officer.officer_id,
        now=utcnow(),
        pseudonym_secret=settings_of(request).pseudonym_secret,
    )
    note = await session.get(PortalClinicNote, (officer.officer_id, clinic_id.hex))
    money = await plan_money(request, officer, clinic_id) if story.plans else None
    context = {"story": story, "errors": {}, "form": {}, "note": note, "plan_money": money}
    return render(request, "clinic.html", context, officer=officer)


@router.post("/plans/{plan_id}/decision")
async def decide(plan_id: str, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    back = str(form.get("back") or "/today")
    back = back if back.startswith("/") and not back.startswith("//") else "/today"
    settings = settings_of(request)
    try:
        decision = DecisionForm.model_validate(
            {key: form[key] for key in ("action", "extend_days", "note") if form.get(key) not in (None, "")}
        )
    except ValidationError as error:
        problems = "; ".join(f"{name}: {text}" for name, text in field_errors(error).items())
        return redirect_with_flash(back, kind="error", text=f"Not sent: {problems}", settings=settings)
    if decision.action == "stop" and form.get("confirmed") != "yes":
        return _confirm_stop(request, officer, plan=plan, note=decision.note, back=back)
    done = {
        "continue": "continue to rollout",
        "extend": f"extend the pilot by {decision.extend_days:g} days",
        "stop": "stop the plan",
    }[decision.action]
    call = roadmap.decide(
        plan_id=plan.id, action=decision.action, extend_days=decision.extend_days, note=decision.note
    )
    try:
        await actions.as_officer(request, officer, call)
    except Refusal as refusal:
        text = f"Roadmap refused the decision: {refusal.reason}"
        return redirect_with_flash(back, kind="error", text=text, settings=settings)
    if plan.phase == "evaluation":
        # Decided: off Today and the portfolio's count at once, not when roadmap's event arrives.
        await session.merge(
            PortalDismissal(officer_id=officer.officer_id, item_key=needs.gate_key(plan), how=needs.DECIDED)
        )
        await session.commit()
    text = f"Decision sent: {done}. The plan will move on within moments."
    return redirect_with_flash(back, kind="ok", text=text, settings=settings)


def _confirm_stop(request: Request, officer: Any, *, plan: Any, note: str, back: str) -> Response:
    """Stopping ends the plan for good: a page to confirm it first (a form, so no script is needed)."""
    return render(
        request,
        "confirm.html",
        {
            "title": "Stop this plan?",
            "question": "Stopping ends the plan for good: the pilot group goes back to how it worked "
            "before, and the plan cannot be restarted (approve another initiative instead).",
            "action": f"/plans/{plan.id}/decision",
            "fields": {"action": "stop", "note": note, "back": back, "confirmed": "yes"},
            "confirm": "Yes, stop the plan",
            "back": back,
        },
        officer=officer,
    )


@router.post("/plans/{plan_id}/{change}")
async def pause_or_resume(
    plan_id: str,
    change: PlanChange,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    return await act_and_confirm(
        request,
        officer,
        roadmap.change_plan(plan_id=plan.id, change=change),
        back=f"/clinics/{plan.clinic_id}" if form.get("back") != "/today" else "/today",
        refused="Roadmap refused",
        done="Plan paused: its clock stops until you resume it." if change == "pause" else "Plan resumed.",
    )


@router.post("/initiatives/{initiative_id}/approve")
async def approve(
    initiative_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    initiative = await tenancy.owned_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.officer_id
    )
    settings = settings_of(request)
    # Picked from the roster (a select and checkboxes): pseudonyms, never a typed name.
    picked = [str(value) for value in (await request.form()).getlist("pilot_group")]
    raw: dict[str, Any] = {
        "owner": str(form.get("owner", "")),
        "target_change_pct": str(form.get("target_change_pct", "")).strip() or None,
        "pilot_group": picked,
    }
    errors: dict[str, str] = {}
    approval: ApprovalForm | None = None
    try:
        approval = ApprovalForm.model_validate(raw)
    except ValidationError as error:
        errors = field_errors(error)
    if approval is not None:
        errors = await _off_the_roster(session, initiative.clinic_id, approval)
    if approval is not None and not errors:
        try:
            approved = roadmap.approve(initiative_id=initiative.id, approval=approval.model_dump())
            await actions.as_officer(request, officer, approved)
        except Refusal as refused:
            errors = {name.split(".")[0]: text for name, text in refused.fields.items()} or {
                "form": f"Roadmap refused the approval: {refused.reason}"
            }
        else:
            return redirect_with_flash(
                f"/clinics/{initiative.clinic_id}",
                kind="ok",
                text=f"Approved “{initiative.problem}”: its plan starts now (it shows here within moments).",
                settings=settings,
            )
    return await clinic_page_with_errors(
        request,
        session,
        officer,
        initiative.clinic_id,
        errors=errors,
        form={**form, "pilot_group": picked, "initiative_id": str(initiative.id)},
    )


async def _off_the_roster(session: SessionDep, clinic_id: UUID, approval: ApprovalForm) -> dict[str, str]:
    """Per field, who was picked but is not on the clinic's active roster (a stale page, a forged form)."""
    on_roster = {person.pseudonym for person in await staff.roster(session, clinic_id, active_only=True)}
    errors: dict[str, str] = {}
    if approval.owner not in on_roster:
        errors["owner"] = "pick who owns it from the clinic's staff: that person is not on its roster"
    if any(member not in on_roster for member in approval.pilot_group):
        errors["pilot_group"] = "tick people on the clinic's roster: one ticked is no longer on it"
    return errors


async def clinic_page_with_errors(
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    clinic_id: UUID,
    *,
    errors: dict[str, str],
    form: dict[str, Any],
) -> Response:
    """The clinic page again, each form field's problem next to it (422)."""
    story = await clinic_story(
        session=session,
        clinic_id=clinic_id,
        officer_id=officer.officer_id,
        now=utcnow(),
        pseudonym_secret=settings_of(request).pseudonym_secret,
    )
    return render(
        request,
        "clinic.html",
        {
            "story": story,
            "errors": errors,
            "form": form,
            "note": await session.get(PortalClinicNote, (officer.officer_id, clinic_id.hex)),
        },
        officer=officer,
        status_code=422,
    )


@router.post("/clinics/{clinic_id}/audits/open")
async def open_audit(clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    try:
        window = AuditForm.model_validate({"days": form["days"]} if form.get("days") else {})
    except ValidationError as error:
        return await clinic_page_with_errors(
            request, session, officer, clinic.id, errors=field_errors(error), form=form
        )
    return await act_and_confirm(
        request,
        officer,
        audit_api.open_audit(clinic_id=clinic.id, days=window.days),
        back="/today" if form.get("back") == "/today" else f"/clinics/{clinic.id}",
        refused="Audit refused to open it",
        done=lambda opened: (
            f"Audit opened: staff log {opened.get('starts_on')} to {opened.get('ends_on')}. Give them the "
            "task-log link (Audit week page); the window closes by itself at its end."
        ),
    )


@router.post("/clinics/{clinic_id}/audits/{audit_id}/close")
async def close_audit(
    clinic_id: UUID, audit_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    return await act_and_confirm(
        request,
        officer,
        audit_api.close_audit(audit_id=audit_id),
        back=f"/clinics/{clinic.id}",
        refused="Audit refused to close it",
        done="Audit closing: its findings and the ranked candidates show here within moments.",
    )
