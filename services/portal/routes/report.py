"""The practice report for the officer's browser: as a page, and as the same page printed to a PDF
(WeasyPrint)."""

import asyncio
import re
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from weasyprint import HTML

from services.portal.officer.sessions import SignedIn
from services.portal.pages.report import PracticeReport, build_report
from services.portal.routes.web import TEMPLATES, OfficerDep, render
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)


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
