"""The close-out report of a finished plan, as JSON and as a page for the practice owner."""

from functools import partial

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.roadmap.plans import close_out, starter
from services.roadmap.plans import reports as plan_reports
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["roadmap"])


@router.get(
    "/plans/{plan_id}/close-out",
    response_model=close_out.CloseOutReport,
    responses={409: {"description": "the plan still runs: the report is written once it is done or stopped"}},
)
async def read_close_out(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> object:
    """The close-out report of a finished plan: baseline vs result with intervals, gates, money, lessons."""
    return await plan_reports.close_out_report(
        session=session,
        plan_id=plan_id,
        officer_id=officer.id,
        read_status=partial(starter.plan_status, temporal),
    )


@router.get(
    "/plans/{plan_id}/close-out.html",
    response_class=HTMLResponse,
    responses={409: {"description": "the plan still runs: the report is written once it is done or stopped"}},
)
async def read_close_out_page(
    plan_id: str, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> HTMLResponse:
    """The close-out report as a page for the practice owner (the same figures as the JSON)."""
    report = await plan_reports.close_out_report(
        session=session,
        plan_id=plan_id,
        officer_id=officer.id,
        read_status=partial(starter.plan_status, temporal),
    )
    return HTMLResponse(close_out.render_html(report))
