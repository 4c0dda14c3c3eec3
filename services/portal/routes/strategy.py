"""The strategy map page and its forms: the interview (roadmap's, written through its API) and the
vendor an initiative will use."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.officer import actions, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.pages.strategy import first_initiative, heat_map
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, roadmap
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/clinics/{clinic_id}/strategy", response_class=HTMLResponse)
async def strategy_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    return await _render_strategy(request, officer, clinic.id, clinic.name)


async def _render_strategy(
    request: Request,
    officer: SignedIn,
    clinic_id: UUID,
    clinic_name: str,
    *,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    strategy: dict[str, Any] | None = None
    interview: dict[str, Any] | None = None
    first: dict[str, Any] | None = None
    vendors: list[dict[str, Any]] = []
    try:
        strategy = await actions.as_officer(request, officer, roadmap.strategy_map(clinic_id=clinic_id))
        interview = await actions.as_officer(
            request, officer, roadmap.strategy_interview(clinic_id=clinic_id)
        )
        first = first_initiative(strategy)
        if first is not None:
            options = roadmap.vendor_options(initiative_id=first["initiative_id"])
            vendors = await actions.as_officer(request, officer, options)
    except Refusal as refused:
        problem = problem or f"The strategy map is not available: {refused.reason}"
        status_code = 502 if refused.status in (0, 500, 502, 503) else status_code
    given = {(answer["area"], answer["question"]): answer for answer in (interview or {}).get("answers", [])}
    return render(
        request,
        "strategy.html",
        {
            "clinic_id": clinic_id,
            "clinic_name": clinic_name,
            "strategy": strategy,
            "interview": interview,
            "given": given,
            "heat": heat_map(strategy) if strategy else None,
            "first": first,
            "vendors": vendors,
            "problem": problem,
        },
        officer=officer,
        status_code=status_code,
    )


@router.post("/clinics/{clinic_id}/strategy", response_class=HTMLResponse)
async def save_interview(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    """The interview form: `rating:<area>:<question>` (blank: not asked) and `note:<area>:<question>`."""
    form = await check_csrf(request, officer)
    clinic = await tenancy.owned_clinic(session=session, clinic_id=clinic_id, officer_id=officer.officer_id)
    answers = []
    for key, value in form.items():
        if not key.startswith("rating:") or str(value).strip() == "":
            continue
        _, area, question = key.split(":", 2)
        rating: int | str = int(value) if str(value).isdigit() else str(value)
        answers.append(
            {
                "area": area,
                "question": question,
                "rating": rating,
                "note": str(form.get(f"note:{area}:{question}", "")).strip(),
            }
        )
    if not answers:
        return await _render_strategy(
            request,
            officer,
            clinic.id,
            clinic.name,
            problem="Rate at least one area on one question (none, low, medium or high).",
            status_code=422,
        )
    try:
        await actions.as_officer(
            request, officer, roadmap.answer_interview(clinic_id=clinic.id, answers=answers)
        )
    except Refusal as refused:
        return await _render_strategy(
            request,
            officer,
            clinic.id,
            clinic.name,
            problem=f"Roadmap did not take the answers: {refused.reason}",
            status_code=422 if refused.status == 422 else 502,
        )
    return redirect_with_flash(
        f"/clinics/{clinic.id}/strategy",
        kind="ok",
        text=f"{len(answers)} answers saved; the map and the proposed initiatives are updated.",
        settings=settings_of(request),
    )


@router.post("/initiatives/{initiative_id}/vendor", response_class=HTMLResponse)
async def choose_vendor(
    request: Request, initiative_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    """The catalog entry the initiative will use; roadmap checks it against the clinic's systems."""
    form = await check_csrf(request, officer)
    initiative = await tenancy.owned_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.officer_id
    )
    return await act_and_confirm(
        request,
        officer,
        roadmap.choose_vendor(initiative_id=initiative.id, entry_id=str(form.get("entry_id", ""))),
        back=f"/clinics/{initiative.clinic_id}/strategy",
        refused="Not chosen",
        done=lambda chosen: (
            f"{chosen.get('entry', {}).get('vendor', 'the vendor')} chosen: "
            f"{chosen.get('integration_note', '')}"
        ),
    )
