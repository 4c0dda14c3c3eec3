"""The delivery console of a clinic's partners: what became of their signed requests, and key rotation.

kpi keeps the delivery records (webhook-id, time, outcome, a refusal's reason in its own words,
never a body); this page reads them as the officer. A quiet feed on Today links here.
"""

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer import actions, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.read_model.models import PortalClinic
from services.portal.routes.web import OfficerDep, check_csrf, render
from shared.api_client import Refusal, kpi
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)

MAX_WINDOW_HOURS = 168
ANY_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OUTCOME_COLOUR = {"accepted": "green", "duplicate": "grey", "refused": "red"}


def short_id(webhook_id: str) -> str:
    """A webhook-id as the officer reads it: long ones (often 32 hex digits) as their ends."""
    return webhook_id if len(webhook_id) <= 20 else f"{webhook_id[:10]}…{webhook_id[-6:]}"


def _times(console: dict[str, Any]) -> dict[str, Any]:
    """kpi's ISO instants as datetimes, for the `local` filter."""
    for row in [*console.get("deliveries", []), *console.get("last_events", [])]:
        for name in ("received_at", "occurred_at"):
            if isinstance(row.get(name), str):
                row[name] = datetime.fromisoformat(row[name])
        if "webhook_id" in row:
            row["shown_id"] = short_id(row["webhook_id"])
    until = console.get("previous_secret_until")
    console["previous_secret_until"] = datetime.fromisoformat(until) if isinstance(until, str) else None
    return console


async def _console_page(
    request: Request,
    officer: SignedIn,
    clinic: PortalClinic,
    *,
    rotated: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    consoles: list[dict[str, Any]] = []
    problem = ""
    try:
        partners = await actions.as_officer(request, officer, kpi.partners())
        for partner in partners:
            if str(clinic.id) in partner.get("clinic_ids", []):
                call = kpi.partner_deliveries(partner_id=partner["id"])
                consoles.append(_times(await actions.as_officer(request, officer, call)))
    except Refusal as refused:
        problem = f"kpi did not answer, so the deliveries cannot be shown: {refused.reason}"
    response = render(
        request,
        "deliveries.html",
        {
            "clinic": clinic,
            "consoles": consoles,
            "colour": OUTCOME_COLOUR,
            "rotated": rotated,
            "errors": errors or {},
            "problem": problem,
            "max_window": MAX_WINDOW_HOURS,
        },
        officer=officer,
        status_code=status_code,
    )
    if rotated is not None:
        response.headers["Cache-Control"] = "no-store"  # the new secret is on this page, once
    return response


@router.get("/clinics/{clinic_id}/deliveries", response_class=HTMLResponse)
async def deliveries_page(
    clinic_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    """Each partner linked to the clinic: its deliveries, last event per type, error rate, rotation."""
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    return await _console_page(request, officer, clinic)


@router.post("/clinics/{clinic_id}/deliveries/{partner_id}/rotate", response_class=HTMLResponse)
async def rotate_secret(
    clinic_id: UUID, partner_id: UUID, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    """A new webhook secret for the partner; the old one stays valid for the window chosen."""
    form = await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    entered = str(form.get("window_hours", "")).strip()
    if not entered.isdigit() or not 1 <= int(entered) <= MAX_WINDOW_HOURS:
        errors = {"window_hours": f"window_hours: give whole hours from 1 to {MAX_WINDOW_HOURS}"}
        return await _console_page(request, officer, clinic, errors=errors, status_code=422)
    call = kpi.rotate_webhook_secret(partner_id=partner_id, window_hours=int(entered))
    try:
        answer = await actions.as_officer(request, officer, call)
    except Refusal as refused:
        reason = ANY_UUID.sub("this partner", refused.reason)
        errors = {"window_hours": f"kpi refused the rotation: {reason}"}
        return await _console_page(request, officer, clinic, errors=errors, status_code=422)
    rotated = {**answer, "partner_id": str(partner_id)}
    until = answer.get("previous_secret_until")
    rotated["until"] = datetime.fromisoformat(until) if isinstance(until, str) else None
    return await _console_page(request, officer, clinic, rotated=rotated, status_code=201)
