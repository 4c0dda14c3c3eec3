"""The portfolio page: every clinic of the officer, most in need first, filtered and searched."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.officer.sessions import utcnow
from services.portal.pages import charts
from services.portal.pages.portfolio import STAGES, Filters, portfolio
from services.portal.routes.web import OfficerDep, render
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
# Rows shown before "show all": the most in need come first, the rest one click away.
PAGE_ROWS = 100


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/portfolio", status_code=303)


@router.get("/portfolio", response_class=HTMLResponse)
async def portfolio_page(
    *,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    specialty: Annotated[str, Query(max_length=100)] = "",
    stage: Annotated[str, Query(max_length=40)] = "",
    attention: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    show: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    filters = Filters(
        specialty=specialty, stage=stage if stage in STAGES else "", needs_attention=attention == "1", q=q
    )
    rows, specialties = await portfolio(
        session=session, officer_id=officer.officer_id, filters=filters, now=utcnow()
    )
    return render(
        request,
        "portfolio.html",
        {
            "rows": rows if show == "all" else rows[:PAGE_ROWS],
            "total": len(rows),
            "specialties": specialties,
            "stages": STAGES,
            "filters": filters,
            "funnel": charts.funnel(rows),
            "needing": sum(1 for row in rows if row.reasons),
            "items": sum(len(row.reasons) for row in rows),
        },
        officer=officer,
    )
