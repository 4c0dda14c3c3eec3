"""The practice's roadmap report: one page for the practice owner, as HTML and as a PDF (WeasyPrint).

Built from the same data the portal shows: the read model (readiness, where the hours go, KPI
weeks) and roadmap's JSON (first problem and why, plan dates, KPI evidence, money, strategy map).
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from weasyprint import HTML

from services.portal import actions, clinic_view
from services.portal.sessions import SignedIn, utcnow
from services.portal.strategy_view import heat_map, roadmap_json
from services.portal.web import TEMPLATES, OfficerDep, render
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
WEEKS_PER_YEAR = 52


@dataclass
class TimeRow:
    category: str
    hours_per_week: float
    cost_per_week: float
    share: float  # of all logged hours


@dataclass
class PracticeReport:
    story: clinic_view.ClinicStory
    roadmap: dict[str, Any] | None
    unavailable: str
    time: list[TimeRow]
    readiness: list[tuple[str, float]]
    kpi_latest: dict[str, Any] | None
    heat: dict[str, Any] | None
    generated: datetime
    officer_name: str


def time_rows(candidates: list[dict[str, Any]], total_hours: float) -> list[TimeRow]:
    """Where the staff's time goes, most hours first (the audit's categories, per week)."""
    rows = [
        TimeRow(
            category=str(item.get("category", "")).replace("_", " "),
            hours_per_week=float(item.get("hours_per_week", 0)),
            cost_per_week=float(item.get("cost_per_week", 0)),
            share=float(item.get("hours_per_week", 0)) / total_hours if total_hours > 0 else 0.0,
        )
        for item in candidates
    ]
    return sorted(rows, key=lambda row: -row.hours_per_week)


def latest_kpi(story: clinic_view.ClinicStory, kpi: str | None) -> dict[str, Any] | None:
    """The newest measured week of the first problem's KPI (value, baseline, target) from the read model."""
    for chart in story.kpi_charts:
        if chart["kpi"] != kpi:
            continue
        for index in range(len(chart["weeks"]) - 1, -1, -1):
            if chart["value"][index] is not None:
                return {
                    "week": chart["weeks"][index],
                    "value": chart["value"][index],
                    "baseline": chart["baseline"][index],
                    "target": chart["target"][index],
                }
    return None


async def build_report(
    request: Request, session: SessionDep, officer: SignedIn, clinic_id: UUID
) -> PracticeReport:
    story = await clinic_view.clinic_story(
        session=session, clinic_id=clinic_id, officer_id=officer.officer_id, now=utcnow()
    )
    roadmap: dict[str, Any] | None = None
    unavailable = ""
    try:
        roadmap = await roadmap_json(request, officer, f"/v1/clinics/{clinic_id}/practice-report")
    except actions.ActionRefused as refused:
        unavailable = (
            f"the roadmap's part (first problem, plan, KPIs, money) is not available: {refused.reason}"
        )
    audit = story.audit
    first = (roadmap or {}).get("first") or {}
    return PracticeReport(
        story=story,
        roadmap=roadmap,
        unavailable=unavailable,
        time=time_rows(audit.candidates, audit.total_hours_per_week) if audit else [],
        readiness=sorted(
            (story.assessment.dimension_scores.items() if story.assessment else []), key=lambda item: item[1]
        ),
        kpi_latest=latest_kpi(story, first.get("kpi")),
        heat=heat_map(roadmap["strategy"]) if roadmap else None,
        generated=utcnow(),
        officer_name=officer.officer_name or officer.officer_id,
    )


@router.get("/clinics/{clinic_id}/report", response_class=HTMLResponse)
async def report_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    report = await build_report(request, session, officer, clinic_id)
    return render(request, "report.html", {"report": report, "pdf": False}, officer=officer)


@router.get("/clinics/{clinic_id}/report.pdf")
async def report_pdf(request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep) -> Response:
    """The same report as a PDF; refused (502) rather than printed without the roadmap's part."""
    report = await build_report(request, session, officer, clinic_id)
    if report.roadmap is None:
        return render(
            request,
            "not_found.html",
            {"title": "Report not ready", "message": f"No PDF: {report.unavailable}. Try again in a moment."},
            officer=officer,
            status_code=502,
        )
    return await pdf_response(request, report, officer)


async def pdf_response(request: Request, report: PracticeReport, officer: SignedIn) -> Response:
    """The report laid out as a PDF, named after the practice and the day."""
    html = TEMPLATES.get_template("report.html").render(
        {"request": request, "report": report, "pdf": True, "officer": officer, "flash": None}
    )
    # WeasyPrint lays out synchronously and takes a moment: off the event loop.
    document = await asyncio.to_thread(HTML(string=html).write_pdf)
    clinic = report.story.clinic
    name = re.sub(r"[^a-z0-9]+", "-", clinic.name.lower()).strip("-") or "practice"
    day = clinic.calendar().day_of(report.generated)  # the practice's date, as the report shows it
    return Response(
        content=document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="roadmap-{name}-{day:%Y-%m-%d}.pdf"'},
    )
