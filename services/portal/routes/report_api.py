"""The practice report PDF for callers with an officer's bearer token (`faio report`), not a browser session.

The same report as /clinics/<id>/report.pdf, checked the way every service checks a token
(shared/auth.py): another officer's clinic is a 404, like a clinic that does not exist.
"""

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from services.portal.officer.sessions import SignedIn
from services.portal.pages.report import build_report
from services.portal.routes.report import pdf_response
from shared.app import SessionDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["practice report"])


@router.get(
    "/clinics/{clinic_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the practice report as a PDF"}},
)
async def practice_report_pdf(
    request: Request, clinic_id: UUID, session: SessionDep, caller: CurrentOfficer
) -> Response:
    """The practice's roadmap report as a PDF; 502 rather than a PDF without the roadmap's part."""
    # The caller's own token version: roadmap is asked with a token as current as the one presented.
    officer = SignedIn(
        officer_id=caller.id, officer_name=caller.name, csrf_token="", token_version=caller.token_version
    )
    report = await build_report(request, session, officer, clinic_id)
    if report.roadmap is None:
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, f"no PDF: {report.unavailable}; try again in a moment"
        )
    return await pdf_response(request, report, officer)
