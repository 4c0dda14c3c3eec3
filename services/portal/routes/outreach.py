"""The officer's side of the public forms: prospect invites and leads (intake), and the audit
week's task-log links and "who has not logged yet" (audit).

Leads carry contact details that never travel as events, so these pages read the owning
service's API with the officer's identity instead of the portal's read model.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer import actions, staff, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, intake
from shared.api_client import audit as audit_api
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)


# --- prospects ----------------------------------------------------------------------------------


async def _prospects_page(
    request: Request, officer: SignedIn, *, new_invite: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    problem = ""
    try:
        leads = await actions.as_officer(request, officer, intake.leads())
        invites = await actions.as_officer(request, officer, intake.invites())
    except Refusal as refused:
        leads, invites, problem = [], [], f"Intake did not answer: {refused.reason}"
    return render(
        request,
        "prospects.html",
        {
            "leads": leads,
            "invites": invites,
            "new_invite": new_invite,
            "problem": problem,
            "active": "prospects",
        },
        officer=officer,
        status_code=status_code,
    )


@router.get("/prospects", response_class=HTMLResponse)
async def prospects_page(request: Request, officer: OfficerDep) -> Response:
    """New prospects as leads, the invite links, and a button to make one."""
    return await _prospects_page(request, officer)


@router.post("/prospects/invites", response_class=HTMLResponse)
async def create_invite(request: Request, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    days = str(form.get("expires_in_days", "")).strip()
    invite = intake.create_invite(
        label=str(form.get("label", "")).strip(), expires_in_days=int(days) if days.isdigit() else 14
    )
    try:
        made = await actions.as_officer(request, officer, invite)
    except Refusal as refused:
        return redirect_with_flash(
            "/prospects", kind="error", text=f"No link made: {refused.reason}", settings=settings_of(request)
        )
    return await _prospects_page(request, officer, new_invite=made, status_code=201)


@router.post("/prospects/invites/{invite_id}/revoke")
async def revoke_invite(invite_id: UUID, request: Request, officer: OfficerDep) -> Response:
    await check_csrf(request, officer)
    return await act_and_confirm(
        request,
        officer,
        intake.revoke_invite(invite_id=invite_id),
        back="/prospects",
        refused="Not revoked",
        done="Invite revoked: its link now shows “withdrawn”.",
    )


@router.post("/prospects/{lead_id}/convert")
async def convert_lead(lead_id: UUID, request: Request, officer: OfficerDep) -> Response:
    """One action: the lead becomes a clinic; its answers begin the full assessment."""
    form = await check_csrf(request, officer)
    body = {
        "name": str(form.get("name", "")).strip(),
        "specialty": str(form.get("specialty", "")).strip() or "general practice",
    }
    return await act_and_confirm(
        request,
        officer,
        intake.convert_lead(lead_id=lead_id, clinic=body),
        back="/prospects",
        refused="Not converted",
        done=lambda clinic: (
            f"{clinic['name']} is now a clinic (it shows in your portfolio within moments). "
            "Its assessment starts from the prospect's answers."
        ),
    )


# --- the audit week's self-logging ----------------------------------------------------------------


async def _open_audit(request: Request, officer: SignedIn, clinic_id: UUID) -> dict[str, Any] | None:
    audits = await actions.as_officer(request, officer, audit_api.audits(clinic_id=clinic_id))
    return next((audit for audit in audits if audit["status"] == "open"), audits[0] if audits else None)


async def _audit_logging_page(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    clinic_id: UUID,
    *,
    new_link: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    audit: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    links: list[dict[str, Any]] = []
    problem = ""
    try:
        audit = await _open_audit(request, officer, clinic_id)
        if audit is not None:
            status = await actions.as_officer(
                request, officer, audit_api.logging_status(audit_id=audit["id"])
            )
            links = await actions.as_officer(request, officer, audit_api.task_log_links(audit_id=audit["id"]))
    except Refusal as refused:
        problem = f"Audit did not answer: {refused.reason}"
    return render(
        request,
        "audit_logging.html",
        {
            "clinic": clinic,
            "audit": audit,
            "status": status,
            "links": links,
            "new_link": new_link,
            "problem": problem,
            "names": await staff.names_of(session, clinic_id, secret=settings_of(request).pseudonym_secret),
        },
        officer=officer,
        status_code=status_code,
    )


@router.get("/clinics/{clinic_id}/audit-logging", response_class=HTMLResponse)
async def audit_logging_page(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    """Per day of the audit week, who has not logged yet; the link staff log with."""
    return await _audit_logging_page(request, session, officer, clinic_id)


@router.post("/clinics/{clinic_id}/audits/{audit_id}/task-log-links", response_class=HTMLResponse)
async def create_task_log_link(
    clinic_id: UUID, audit_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    # The people on the portal's roster, as pseudonyms; with nobody on it, audit lists one per head-count.
    people = await staff.roster(session, clinic_id, active_only=True)
    roster = [{"staff_id": person.pseudonym, "role": person.role} for person in people] or None
    try:
        made = await actions.as_officer(
            request, officer, audit_api.create_task_log_link(audit_id=audit_id, roster=roster)
        )
    except Refusal as refused:
        return redirect_with_flash(
            f"/clinics/{clinic_id}/audit-logging",
            kind="error",
            text=f"No link made: {refused.reason}",
            settings=settings_of(request),
        )
    return await _audit_logging_page(request, session, officer, clinic_id, new_link=made, status_code=201)
