"""A clinic's integration partners: link one of the officer's partners, unlink it, or register a new
one for the clinic. All through kpi's partner API with the officer's identity (kpi owns partners and
their keys); the new partner's key and signing secret are shown once, on the page that made them.
"""

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.portal.officer import actions, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.read_model.models import PortalClinic
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, render
from shared.api_client import Refusal, kpi
from shared.api_client.vocabulary import PartnerKind
from shared.app import SessionDep
from shared.names import Name

router = APIRouter(include_in_schema=False)

KINDS: dict[str, str] = {
    "emr": "EMR (notes, eligibility, claims, referrals)",
    "phone": "phone system (calls)",
    "scheduling": "scheduling (appointments)",
    "ai_scribe": "AI scribe (AI-assisted notes, sessions)",
    "messaging": "patient messaging (messages)",
    "other": "other",
}


class PartnerForm(BaseModel):
    """Registering a partner for this clinic: its name and what kind of system it is."""

    name: Name = Field(max_length=200)
    kind: PartnerKind = "other"

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name the partner as your staff know it, e.g. Acme Phones")
        return value.strip()


async def _partners_page(
    request: Request,
    officer: SignedIn,
    clinic: PortalClinic,
    *,
    created: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    problem = ""
    try:
        partners = await actions.as_officer(request, officer, kpi.partners())
    except Refusal as refused:
        partners, problem = [], f"kpi did not answer, so your partners cannot be listed: {refused.reason}"
    linked = [partner for partner in partners if str(clinic.id) in partner.get("clinic_ids", [])]
    response = render(
        request,
        "partners.html",
        {
            "clinic": clinic,
            "linked": linked,
            "others": [partner for partner in partners if partner not in linked],
            "kinds": KINDS,
            "created": created,
            "errors": errors or {},
            "form": form or {},
            "problem": problem,
            "partner_events_path": kpi.PARTNER_EVENTS_PATH,
        },
        officer=officer,
        status_code=status_code,
    )
    if created is not None:
        response.headers["Cache-Control"] = "no-store"  # the key and secret are on this page, once
    return response


@router.get("/clinics/{clinic_id}/partners", response_class=HTMLResponse)
async def partners_page(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    """The clinic's partners, the officer's others (to link), and a form to register a new one."""
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    return await _partners_page(request, officer, clinic)


@router.post("/clinics/{clinic_id}/partners", response_class=HTMLResponse)
async def register_partner(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    entered = {"name": str(form.get("name", "")), "kind": str(form.get("kind") or "other")}
    try:
        partner = PartnerForm.model_validate(entered)
    except ValidationError as error:
        errors = {
            str(item["loc"][0]): str(item["msg"]).removeprefix("Value error, ")
            + ("" if item["loc"][0] == "name" else f" (one of: {', '.join(KINDS)})")
            for item in error.errors()
        }
        return await _partners_page(request, officer, clinic, errors=errors, form=entered, status_code=422)
    try:
        registered = kpi.register_partner(name=partner.name, kind=partner.kind, clinic_ids=[str(clinic.id)])
        created = await actions.as_officer(request, officer, registered)
    except Refusal as refused:
        errors = {name.split(".")[0]: text for name, text in refused.fields.items()} or {
            "form": f"kpi refused the partner: {refused.reason}"
        }
        return await _partners_page(request, officer, clinic, errors=errors, form=entered, status_code=422)
    return await _partners_page(request, officer, clinic, created=created, status_code=201)


@router.post("/clinics/{clinic_id}/partners/{partner_id}/{change}")
async def link_or_unlink(
    clinic_id: UUID,
    partner_id: UUID,
    change: Literal["link", "unlink"],
    *,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
) -> Response:
    await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)

    def done(answer: dict[str, Any]) -> str:
        name = answer.get("name", "the partner")
        if change == "link":
            return f"Linked: {name} may now send events for {clinic.name}."
        return f"Unlinked: kpi no longer accepts {name}'s events for {clinic.name}."

    link_or_unlink = kpi.link_partner if change == "link" else kpi.unlink_partner
    return await act_and_confirm(
        request,
        officer,
        link_or_unlink(partner_id=partner_id, clinic_id=clinic.id),
        back=f"/clinics/{clinic.id}/partners",
        refused="kpi refused",
        done=done,
    )
