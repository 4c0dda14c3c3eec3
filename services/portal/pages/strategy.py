"""The strategy map page: a heat map drawn on the server (plain SVG), the map's evidence, and the
interview form. The map and the interview are roadmap's: read and written through its API.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import actions, clinic_view
from services.portal.sessions import SignedIn
from services.portal.web import OfficerDep, check_csrf, redirect_with_flash, render, settings_of
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)

# Heat-map colours from "nothing here" to "act here first" (a colour-blind-safe sequential ramp).
HEAT = ("#f1f5f9", "#fde68a", "#fbbf24", "#f97316", "#dc2626")
NO_DATA = "#ffffff"
LABEL_WIDTH, CELL_WIDTH, CELL_HEIGHT, HEADER_HEIGHT = 150, 74, 26, 44
QUESTION_HEADS = {
    "staff_time": "staff time",
    "patient_friction": "friction",
    "missed_revenue": "revenue",
    "burnout": "burnout",
}
RATING_WORDS = ("none", "low", "medium", "high")
NOT_MEASURED = "\u2013"  # an en dash in an empty cell


def _level(value: float | None, top: float) -> int | None:
    """0-4 on the colour ramp, None for no data."""
    if value is None:
        return None
    return max(0, min(4, round(value / top * 4)))


def heat_map(strategy: dict[str, Any]) -> dict[str, Any]:
    """Where to draw each cell: per area the four interview ratings, audit hours, readiness and score."""
    columns = [*QUESTION_HEADS.values(), "audit hours", "readiness", "score"]
    rows = []
    for index, area in enumerate(strategy.get("areas", [])):
        ratings = area.get("ratings", {})
        cells: list[tuple[int | None, str, str]] = []
        for question, head in QUESTION_HEADS.items():
            rating = ratings.get(question)
            word = RATING_WORDS[rating] if rating is not None else "not asked"
            cells.append((_level(rating, 3), word if rating is not None else NOT_MEASURED, f"{head}: {word}"))
        share = area.get("hours_share")
        hours = float(area.get("hours_per_week") or 0)
        cells.append(
            (_level(share, 1), f"{hours:.0f} h" if share is not None else NOT_MEASURED, f"{hours:.1f} h/week")
        )
        readiness = area.get("readiness")
        # Readiness is drawn the other way round: low readiness is what needs attention.
        cells.append(
            (
                _level(100 - readiness, 100) if readiness is not None else None,
                f"{readiness:.0f}" if readiness is not None else NOT_MEASURED,
                f"readiness {readiness:.0f}/100" if readiness is not None else "readiness unknown",
            )
        )
        score = area.get("score")
        cells.append(
            (
                _level(score, 100),
                f"{score:.0f}" if score is not None else NOT_MEASURED,
                f"score {score:.0f}/100" if score is not None else "no data yet",
            )
        )
        y = HEADER_HEIGHT + index * CELL_HEIGHT
        rows.append(
            {
                "label": area.get("label", ""),
                "area": area.get("area", ""),
                "first": area.get("area") == strategy.get("first_area"),
                "y": y,
                "text_y": y + CELL_HEIGHT / 2 + 4,
                "cells": [
                    {
                        "x": LABEL_WIDTH + column * CELL_WIDTH,
                        "text_x": LABEL_WIDTH + column * CELL_WIDTH + CELL_WIDTH / 2,
                        "fill": NO_DATA if level is None else HEAT[level],
                        "ink": "#ffffff" if level is not None and level >= 3 else "#1d2430",
                        "level": "none" if level is None else level,
                        "text": text,
                        "title": f"{area.get('label', '')}, {title}",
                    }
                    for column, (level, text, title) in enumerate(cells)
                ],
            }
        )
    return {
        "width": LABEL_WIDTH + len(columns) * CELL_WIDTH,
        "height": HEADER_HEIGHT + len(rows) * CELL_HEIGHT + 4,
        "cell_width": CELL_WIDTH,
        "cell_height": CELL_HEIGHT,
        "label_width": LABEL_WIDTH,
        "columns": [
            {"label": label, "x": LABEL_WIDTH + index * CELL_WIDTH + CELL_WIDTH / 2}
            for index, label in enumerate(columns)
        ],
        "rows": rows,
    }


def first_initiative(strategy: dict[str, Any]) -> dict[str, Any] | None:
    """The map's first problem as an initiative: the approved one, else the recommended one."""
    candidates = [item for area in strategy.get("areas", []) for item in area.get("initiatives", [])]
    return next((item for item in candidates if item.get("status") == "approved"), None) or next(
        (item for item in candidates if item.get("recommended")), None
    )


async def roadmap_json(request: Request, officer: SignedIn, path: str) -> dict[str, Any]:
    """GET from roadmap as the officer (ActionRefused with roadmap's reason otherwise)."""
    return await actions.as_officer(request, officer, service="roadmap", method="GET", path=path)


@router.get("/clinics/{clinic_id}/strategy", response_class=HTMLResponse)
async def strategy_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    clinic = await clinic_view.owned_clinic(
        session=session, clinic_id=clinic_id, officer_id=officer.officer_id
    )
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
        strategy = await roadmap_json(request, officer, f"/v1/clinics/{clinic_id}/strategy-map")
        interview = await roadmap_json(request, officer, f"/v1/clinics/{clinic_id}/strategy-interview")
        first = first_initiative(strategy)
        if first is not None:
            path = f"/v1/initiatives/{first['initiative_id']}/vendors"
            vendors = (await roadmap_json(request, officer, path)).get("items", [])
    except actions.ActionRefused as refused:
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
    clinic = await clinic_view.owned_clinic(
        session=session, clinic_id=clinic_id, officer_id=officer.officer_id
    )
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
            request,
            officer,
            service="roadmap",
            method="PUT",
            path=f"/v1/clinics/{clinic.id}/strategy-interview",
            body={"answers": answers},
        )
    except actions.ActionRefused as refused:
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
    initiative = await clinic_view.owned_initiative(
        session=session, initiative_id=initiative_id, officer_id=officer.officer_id
    )
    return await actions.act_and_confirm(
        request,
        officer,
        service="roadmap",
        method="PUT",
        path=f"/v1/initiatives/{initiative.id}/vendor",
        body={"entry_id": str(form.get("entry_id", ""))},
        back=f"/clinics/{initiative.clinic_id}/strategy",
        refused="Not chosen",
        done=lambda chosen: (
            f"{chosen.get('entry', {}).get('vendor', 'the vendor')} chosen: "
            f"{chosen.get('integration_note', '')}"
        ),
    )
