"""A clinic's staff roster in the portal (add, rename, deactivate, add a role) and the staff's
task-log link made from it.

Names stay in the portal's own table (officer/staff.py); audit gets the roster as pseudonyms and
roles, and a role new to the clinic is added to its profile at intake, where audit prices its
minutes. Each form checks CSRF and ownership first; bad input is a 422 naming the field.
"""

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.portal.officer import actions, staff, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.routes.clinic import field_errors
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, intake
from shared.app import SessionDep
from shared.errors import NotFound
from shared.names import Name

router = APIRouter(include_in_schema=False)


class PersonForm(BaseModel):
    """A person on the roster: the name the officer knows them by, and their role."""

    display_name: Name = Field(min_length=1, max_length=120)
    role: str = Field(min_length=1, max_length=60)

    @field_validator("display_name", "role", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


class RoleForm(BaseModel):
    """A role new to the clinic, and what an hour of it costs (audit prices minutes by it)."""

    role: Name = Field(min_length=1, max_length=60)
    hourly_cost: float = Field(ge=0, le=10_000)

    @field_validator("role", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


async def clinic_roles(request: Request, officer: SignedIn, clinic_id: UUID) -> list[dict[str, Any]]:
    """The clinic's roles as intake has them (head-count and hourly cost)."""
    profile = await actions.as_officer(request, officer, intake.clinic(clinic_id=clinic_id))
    return list(profile.get("staff") or [])


async def _staff_page(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    clinic_id: UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    problem = ""
    try:
        roles = await clinic_roles(request, officer, clinic_id)
    except Refusal as refused:
        roles, problem = [], f"Intake did not answer: {refused.reason}"
    return render(
        request,
        "staff.html",
        {
            "clinic": clinic,
            "people": await staff.roster(session, clinic_id),
            "roles": roles,
            "problem": problem,
            "errors": errors or {},
            "form": form or {},
        },
        officer=officer,
        status_code=status_code,
    )


@router.get("/clinics/{clinic_id}/staff", response_class=HTMLResponse)
async def staff_page(clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """Who works at the clinic, by name and role, and the pseudonym the services know them by."""
    return await _staff_page(request, session, officer, clinic_id)


@router.post("/clinics/{clinic_id}/staff", response_class=HTMLResponse)
async def add_person(clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    try:
        person = PersonForm.model_validate({key: form.get(key, "") for key in ("display_name", "role")})
    except ValidationError as error:
        return await _staff_page(
            request, session, officer, clinic_id, errors=field_errors(error), form=form, status_code=422
        )
    try:
        roles = await clinic_roles(request, officer, clinic_id)
    except Refusal as refused:
        errors = {"role": f"the clinic's roles could not be read from intake: {refused.reason}"}
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    role = next((known for known in roles if str(known["role"]).lower() == person.role.lower()), None)
    if role is None:
        known_roles = ", ".join(str(known["role"]) for known in roles) or "none yet: add one below"
        errors = {"role": f"pick one of the clinic's roles ({known_roles})"}
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    added = await staff.add_person(
        session,
        clinic_id=clinic_id,
        officer_id=officer.officer_id,
        role=str(role["role"]),
        display_name=person.display_name,
    )
    text = f"{added.display_name} added as {added.role}. The services know them only as {added.pseudonym}."
    try:
        await _head_counts_cover_roster(request, session, officer, clinic_id, roles)
    except Refusal as refused:
        text += f" Intake kept the old head-count: {refused.reason}"
    return redirect_with_flash(
        f"/clinics/{clinic_id}/staff", kind="ok", text=text, settings=settings_of(request)
    )


async def _head_counts_cover_roster(
    request: Request, session: SessionDep, officer: SignedIn, clinic_id: UUID, roles: list[dict[str, Any]]
) -> None:
    """Each role's head-count at intake at least the people on the roster in it (the clinic's size
    is what the demo and the audit's coverage read)."""
    people = await staff.roster(session, clinic_id, active_only=True)
    counted = [
        {**role, "headcount": max(int(role["headcount"]), sum(p.role == role["role"] for p in people))}
        for role in roles
    ]
    if counted != roles:
        await actions.as_officer(
            request, officer, intake.update_clinic(clinic_id=clinic_id, changes={"staff": counted})
        )


async def _owned_person(session: SessionDep, clinic_id: UUID, person_id: UUID) -> staff.PortalStaff:
    person = await session.get(staff.PortalStaff, (clinic_id, person_id))
    if person is None:
        raise NotFound("that person is not on this clinic's roster")
    return person


@router.post("/clinics/{clinic_id}/staff/{person_id}/rename", response_class=HTMLResponse)
async def rename_person(
    clinic_id: UUID, person_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    person = await _owned_person(session, clinic_id, person_id)
    try:
        renamed = PersonForm.model_validate(
            {"display_name": form.get("display_name", ""), "role": person.role}
        )
    except ValidationError as error:
        errors = {f"{name}-{person.id}": text for name, text in field_errors(error).items()}
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    person.display_name = renamed.display_name
    session.add(person)
    await session.commit()
    return redirect_with_flash(
        f"/clinics/{clinic_id}/staff",
        kind="ok",
        text=f"Renamed: {person.display_name}.",
        settings=settings_of(request),
    )


@router.post("/clinics/{clinic_id}/staff/{person_id}/{change}")
async def deactivate_or_reactivate(
    clinic_id: UUID,
    person_id: UUID,
    change: Literal["deactivate", "reactivate"],
    *,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
) -> Response:
    await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    person = await _owned_person(session, clinic_id, person_id)
    person.active = change == "reactivate"
    session.add(person)
    await session.commit()
    text = (
        f"{person.display_name} is back on the roster."
        if person.active
        else f"{person.display_name} is off the roster: new task-log links and approvals no longer list them."
    )
    return redirect_with_flash(
        f"/clinics/{clinic_id}/staff", kind="ok", text=text, settings=settings_of(request)
    )


@router.post("/clinics/{clinic_id}/roles", response_class=HTMLResponse)
async def add_role(clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    try:
        role = RoleForm.model_validate(
            {"role": form.get("new_role", ""), "hourly_cost": form.get("hourly_cost") or None}
        )
    except ValidationError as error:
        errors = {
            ("new_role" if name == "role" else name): text for name, text in field_errors(error).items()
        }
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    try:
        roles = await clinic_roles(request, officer, clinic_id)
    except Refusal as refused:
        errors = {"new_role": f"the clinic's roles could not be read from intake: {refused.reason}"}
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    if any(str(known["role"]).lower() == role.role.lower() for known in roles):
        errors = {"new_role": f"the clinic already has the role {role.role}"}
        return await _staff_page(
            request, session, officer, clinic_id, errors=errors, form=form, status_code=422
        )
    changes = {"staff": [*roles, {"role": role.role, "headcount": 0, "hourly_cost": role.hourly_cost}]}
    return await act_and_confirm(
        request,
        officer,
        intake.update_clinic(clinic_id=clinic_id, changes=changes),
        back=f"/clinics/{clinic_id}/staff",
        refused="Intake refused the role",
        done=f"Role {role.role} added (${role.hourly_cost:g} an hour). Add the people who work in it.",
    )
