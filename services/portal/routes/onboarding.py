"""A clinic's start in the portal, without the CLI: add the clinic (intake), then its readiness
assessment (intake scores it). The staff roster is routes/staff.py; the audit is on the clinic page.

The new clinic reaches the portal's read model by intake's event; the add form waits a few seconds
for it, so the officer lands on the new clinic's staff page rather than on a "not found".
"""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.portal.officer import actions, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.read_model.models import PortalClinic
from services.portal.routes.clinic import field_errors
from services.portal.routes.web import OfficerDep, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, intake
from shared.app import SessionDep
from shared.calendar import check_time_zone
from shared.names import Name

router = APIRouter(include_in_schema=False)
ROLE_ROWS = 4  # blank role rows the add form offers; more are added on the staff page
ARRIVAL_WAIT_SECONDS = 5.0
FORM_FIELDS = ("name", "specialty", "locations", "time_zone", "emr", "phone")


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ClinicForm(BaseModel):
    """The add-clinic form, as intake's ClinicCreate takes it."""

    name: Name = Field(min_length=1, max_length=200)
    specialty: Name = Field(min_length=1, max_length=100)
    locations: int = Field(default=1, ge=1, le=500)
    time_zone: str | None = Field(default=None, max_length=64)
    # The systems roadmap checks a solution integrates with (its playbooks name emr and phone).
    emr: Name | None = Field(default=None, max_length=100)
    phone: Name | None = Field(default=None, max_length=100)

    _strip = field_validator("name", "specialty", "time_zone", "emr", "phone", mode="before")(_stripped)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_time_zone(value) if value else None


class RoleRow(BaseModel):
    role: Name = Field(min_length=1, max_length=60)
    hourly_cost: float = Field(ge=0, le=10_000)


def _roles(form: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The filled role rows, and per row field what is wrong (role_2: ..., hourly_cost_2: ...)."""
    roles: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for row in range(1, ROLE_ROWS + 1):
        role, cost = str(form.get(f"role_{row}", "")).strip(), str(form.get(f"hourly_cost_{row}", "")).strip()
        if not role and not cost:
            continue
        try:
            checked = RoleRow.model_validate({"role": role, "hourly_cost": cost or None})
        except ValidationError as error:
            errors |= {f"{name}_{row}": text for name, text in field_errors(error).items()}
            continue
        if any(known["role"].lower() == checked.role.lower() for known in roles):
            errors[f"role_{row}"] = f"{checked.role} is listed twice: one row per role"
            continue
        roles.append({"role": checked.role, "headcount": 0, "hourly_cost": checked.hourly_cost})
    return roles, errors


def _new_clinic_page(
    request: Request,
    officer: SignedIn,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "clinic_new.html",
        {"form": form, "errors": errors, "rows": range(1, ROLE_ROWS + 1), "active": "portfolio"},
        officer=officer,
        status_code=status_code,
    )


@router.get("/new-clinic", response_class=HTMLResponse)
async def new_clinic_page(request: Request, officer: OfficerDep) -> Response:
    """The form to add a clinic to the portfolio."""
    return _new_clinic_page(request, officer, form={}, errors={})


@router.post("/new-clinic", response_class=HTMLResponse)
async def add_clinic(request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    errors: dict[str, str] = {}
    clinic: ClinicForm | None = None
    try:
        clinic = ClinicForm.model_validate(
            {key: form[key] for key in FORM_FIELDS if str(form.get(key) or "").strip()}
        )
    except ValidationError as error:
        errors = field_errors(error)
    roles, role_errors = _roles(form)
    errors |= role_errors
    if clinic is None or errors:
        return _new_clinic_page(request, officer, form=form, errors=errors, status_code=422)
    systems = {kind: vendor for kind in ("emr", "phone") if (vendor := getattr(clinic, kind))}
    body = {
        **clinic.model_dump(exclude_none=True, exclude={"emr", "phone"}),
        "staff": roles,
        "systems": systems,
    }
    try:
        made = await actions.as_officer(request, officer, intake.register_clinic(clinic=body))
    except Refusal as refused:
        errors = {name.split(".")[0]: text for name, text in refused.fields.items()} or {
            "form": f"Intake refused the clinic: {refused.reason}"
        }
        return _new_clinic_page(request, officer, form=form, errors=errors, status_code=422)
    settings = settings_of(request)
    clinic_id = UUID(str(made["id"]))
    if await _arrived(session, clinic_id):
        text = f"{made['name']} added. Next: the people who work there, then its readiness assessment."
        return redirect_with_flash(f"/clinics/{clinic_id}/staff", kind="ok", text=text, settings=settings)
    text = f"{made['name']} added: it shows in your portfolio within moments."
    return redirect_with_flash("/portfolio", kind="ok", text=text, settings=settings)


async def _arrived(session: SessionDep, clinic_id: UUID) -> bool:
    """Whether intake's event has brought the clinic into the read model (waiting a few seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ARRIVAL_WAIT_SECONDS
    while loop.time() < deadline:
        if await session.get(PortalClinic, clinic_id) is not None:
            return True
        await asyncio.sleep(0.2)
    return False


# --- the readiness assessment ---------------------------------------------------------------------


async def _assessment_page(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    clinic_id: UUID,
    *,
    answers: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    problem = ""
    try:
        questionnaire = await actions.as_officer(request, officer, intake.questionnaire())
    except Refusal as refused:
        questionnaire, problem = (
            {"questions": [], "dimensions": []},
            f"Intake did not answer: {refused.reason}",
        )
    if answers is None:  # a converted prospect's answers begin it
        try:
            draft = await actions.as_officer(request, officer, intake.assessment_draft(clinic_id=clinic_id))
            answers = {key: str(value) for key, value in draft.get("answers", {}).items()}
        except Refusal:
            answers = {}
    return render(
        request,
        "assessment.html",
        {
            "clinic": clinic,
            "questionnaire": questionnaire,
            "answers": answers,
            "errors": errors or {},
            "problem": problem,
        },
        officer=officer,
        status_code=status_code,
    )


@router.get("/clinics/{clinic_id}/assessment", response_class=HTMLResponse)
async def assessment_page(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    """The AI Readiness Assessment as a form: one choice per question."""
    return await _assessment_page(request, session, officer, clinic_id)


def _checked_answers(
    questionnaire: dict[str, Any], form: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each question's answer as intake takes it (an option id, or 0-4), and what is missing or wrong."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questionnaire["questions"]:
        given = str(form.get(question["id"], "")).strip()
        if question["type"] == "scale":
            allowed = [str(point) for point in range(len(question.get("scale") or range(5)))]
        else:
            allowed = [str(option["id"]) for option in question["options"]]
        if not given:
            errors[question["id"]] = "pick an answer"
        elif given not in allowed:
            errors[question["id"]] = "pick one of the answers offered"
        else:
            answers[question["id"]] = int(given) if question["type"] == "scale" else given
    return answers, errors


@router.post("/clinics/{clinic_id}/assessment", response_class=HTMLResponse)
async def submit_assessment(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    try:
        questionnaire = await actions.as_officer(request, officer, intake.questionnaire())
    except Refusal as refused:
        text = f"Not sent: intake did not answer ({refused.reason})"
        return redirect_with_flash(
            f"/clinics/{clinic.id}/assessment", kind="error", text=text, settings=settings_of(request)
        )
    answers, errors = _checked_answers(questionnaire, form)
    typed = {key: str(value) for key, value in form.items() if key != "csrf_token"}
    if errors:
        return await _assessment_page(
            request, session, officer, clinic_id, answers=typed, errors=errors, status_code=422
        )
    submission = {"questionnaire_version": questionnaire["version"], "answers": answers}
    try:
        scored = await actions.as_officer(
            request, officer, intake.submit_assessment(clinic_id=clinic_id, submission=submission)
        )
    except Refusal as refused:
        errors = {name.split(".")[-1]: text for name, text in refused.fields.items()} or {
            "form": f"Intake refused the assessment: {refused.reason}"
        }
        return await _assessment_page(
            request, session, officer, clinic_id, answers=typed, errors=errors, status_code=422
        )
    level = str(scored.get("level", "")).replace("_", " ")
    text = (
        f"Assessment scored: {level}, overall {float(scored.get('overall_score', 0)):.0f} of 100. "
        "Next: open an audit week so the staff log their tasks."
    )
    return redirect_with_flash(f"/clinics/{clinic.id}", kind="ok", text=text, settings=settings_of(request))
