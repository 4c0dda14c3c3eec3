"""The practice report for the officer's browser: as a page, and as the same page printed to a PDF
(WeasyPrint), which reads the portal's own static files and the officer's logo, nothing else."""

import asyncio
import mimetypes
import re
from urllib.parse import unquote, urlsplit
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from services.portal.officer import logo
from services.portal.officer.models import PortalOfficer
from services.portal.officer.sessions import SignedIn
from services.portal.pages.report import PracticeReport, build_report
from services.portal.routes.web import STATIC_DIR, TEMPLATES, OfficerDep, render
from services.portal.routes.week import paper_of
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/clinics/{clinic_id}/report", response_class=HTMLResponse)
async def report_page(
    request: Request, clinic_id: UUID, session: SessionDep, officer: OfficerDep
) -> Response:
    report = await build_report(request, session, officer, clinic_id)
    logo_url = logo.url_of(await logo.logo_of(session, officer.officer_id))
    return render(
        request, "report.html", {"report": report, "pdf": False, "logo_url": logo_url}, officer=officer
    )


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


async def paper_and_logo(request: Request, officer: SignedIn) -> tuple[str, logo.PortalOfficerLogo | None]:
    """The officer's paper (US Letter or A4 by the country in their settings) and their logo."""
    async with request.app.state.runtime.sessions() as session:
        record = await session.get(PortalOfficer, officer.officer_id)
        their_logo = await logo.logo_of(session, officer.officer_id)
    return paper_of(record.country if record is not None else "US"), their_logo


# Where the PDF's relative URLs ("/static/report.css") point; only StaticFilesOnly answers there.
PDF_ORIGIN = "https://portal.invalid/"


class StaticFilesOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """WeasyPrint's fetcher for the report: the portal's /static/ files, read from disk, and the
    files handed to it (the officer's logo, already loaded: path -> bytes and type). Anything else
    (file://, another host, the portal's own pages) is refused, so nothing a report's HTML names
    can be read from the machine or the network."""

    def __init__(self, files: dict[str, tuple[bytes, str]] | None = None, **options: object) -> None:
        super().__init__(**options)
        self.files = files or {}

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        here = f"{parts.scheme}://{parts.netloc}/" == PDF_ORIGIN
        if here and not parts.query and parts.path in self.files:
            content, kind = self.files[parts.path]
            return URLFetcherResponse(url, content, {"Content-Type": kind})
        if here and parts.path.startswith("/static/"):
            path = (STATIC_DIR / unquote(parts.path.removeprefix("/static/"))).resolve()
            if path.is_relative_to(STATIC_DIR.resolve()) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError(f"a report reads only the portal's own static files, not {url}")


def print_pdf(html: str, files: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """A page laid out as a PDF, reading nothing but the portal's static files and `files` (blocking)."""
    fetcher = StaticFilesOnly(files)
    document: bytes = HTML(string=html, base_url=PDF_ORIGIN, url_fetcher=fetcher).write_pdf()
    return document


async def pdf_response(request: Request, report: PracticeReport, officer: SignedIn) -> Response:
    """The report laid out as a PDF, named after the practice and the day."""
    paper, their_logo = await paper_and_logo(request, officer)
    logo_url = logo.url_of(their_logo)
    html = TEMPLATES.get_template("report.html").render(
        {
            "request": request,
            "report": report,
            "pdf": True,
            "paper": paper,
            "officer": officer,
            "flash": None,
            "logo_url": logo_url,
        }
    )
    # The logo is in the database, not on disk: the fetcher gets its bytes, under its URL only.
    files = {logo_url: (their_logo.image, their_logo.content_type)} if their_logo is not None else {}
    # WeasyPrint lays out synchronously and takes a moment: off the event loop.
    document = await asyncio.to_thread(print_pdf, html, files)
    clinic = report.story.clinic
    name = re.sub(r"[^a-z0-9]+", "-", clinic.name.lower()).strip("-") or "practice"
    day = clinic.calendar().day_of(report.generated)  # the practice's date, as the report shows it
    return Response(
        content=document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="roadmap-{name}-{day:%Y-%m-%d}.pdf"'},
    )
