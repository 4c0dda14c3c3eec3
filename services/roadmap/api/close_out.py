"""Roadmap's evaluation routes: the baseline a pilot needs, and the close-out report of a finished plan.

Thin like api.py: they validate, call plan_reports with the starter's Temporal functions, and answer.
"""

from functools import partial

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.roadmap.initiatives import approval as service
from services.roadmap.plans import close_out, starter
from services.roadmap.plans import reports as plan_reports
from services.roadmap.plans.reports import PlanBaselineIn, PlanBaselinePublic
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1", tags=["roadmap"])


@router.post(
    "/plans/{plan_id}/baseline",
    response_model=PlanBaselinePublic,
    responses={
        409: {"description": "the plan has ended"},
        422: {"description": "neither a baseline nor a reason, or the gate has already judged the pilot"},
    },
)
async def provide_baseline(
    plan_id: str, given: PlanBaselineIn, session: SessionDep, officer: CurrentOfficer, temporal: TemporalDep
) -> object:
    """Enter the plan's baseline by hand (audit, manual count, EMR report), or record why its pilot may
    start without one. A pilot with neither waits at the end of preparation."""
    await service_plan_running(session, plan_id, officer.id, temporal)
    return await plan_reports.provide_baseline(
        session=session,
        plan_id=plan_id,
        officer_id=officer.id,
        given=given,
        send=partial(starter.provide_baseline, temporal),
    )


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


async def service_plan_running(
    session: SessionDep, plan_id: str, officer_id: str, temporal: TemporalDep
) -> None:
    """The officer's plan, still running (NotFound, Conflict once it has ended)."""
    await service.get_plan(session=session, plan_id=plan_id, officer_id=officer_id)
    await starter.running_status(temporal, plan_id)
