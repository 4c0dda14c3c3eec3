"""The close-out report of a finished plan, from the clinic page: roadmap renders it, the portal shows it.

The report is roadmap's (GET /v1/plans/{id}/close-out.html); the portal checks the plan is the
officer's in its read model, asks roadmap as the officer, and passes the page on unchanged.
"""

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer import tenancy
from services.portal.routes.web import OfficerDep, redirect_with_flash
from services.portal.settings import settings_of
from shared.app import SessionDep
from shared.auth import issue_token
from shared.http_edge import page_policy_with_styles_of

router = APIRouter(include_in_schema=False)


@router.get("/plans/{plan_id}/close-out", response_class=HTMLResponse)
async def close_out_page(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    settings = settings_of(request)
    token = issue_token(settings, officer_id=officer.officer_id, name=officer.officer_name)
    back = f"/clinics/{plan.clinic_id}"
    try:
        answer = await request.app.state.service_http["roadmap"].get(
            f"/v1/plans/{plan.id}/close-out.html", headers={"Authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError:
        return redirect_with_flash(
            back,
            kind="error",
            text="Roadmap did not answer: try the report again in a moment.",
            settings=settings,
        )
    if not answer.is_success:
        try:
            detail = str(answer.json().get("detail", answer.reason_phrase))
        except ValueError:
            detail = answer.reason_phrase
        return redirect_with_flash(
            back, kind="error", text=f"No close-out report yet: {detail}", settings=settings
        )
    policy = page_policy_with_styles_of(answer.text)  # roadmap's page keeps its own <style>
    return HTMLResponse(answer.text, headers={"Content-Security-Policy": policy})
