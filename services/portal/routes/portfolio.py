"""The portfolio page: every clinic of the officer, most in need first, filtered and searched."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.officer.sessions import utcnow
from services.portal.pages import charts
from services.portal.pages.portfolio import STAGES, Filters, portfolio
from services.portal.pages.portfolio_tools import SORTS, csv_of, sort_rows, totals
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
    sort: Annotated[str, Query(max_length=20)] = "",
    order: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    filters = Filters(
        specialty=specialty, stage=stage if stage in STAGES else "", needs_attention=attention == "1", q=q
    )
    rows, specialties = await portfolio(
        session=session, officer_id=officer.officer_id, filters=filters, now=utcnow()
    )
    sort = sort if sort in SORTS else ""
    if sort:
        rows = sort_rows(rows, sort, descending=order == "desc")
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
            "totals": await totals(session, rows),
            "sort": sort,
            "order": "desc" if order == "desc" else "asc",
            "filter_query": _query(
                specialty=filters.specialty, stage=filters.stage, attention=attention, q=q
            ),
        },
        officer=officer,
    )


def _query(**values: str) -> str:
    """The filters as a query string, for the sort links and the CSV link to keep them."""
    return urlencode({name: value for name, value in values.items() if value})


@router.get("/portfolio.csv")
async def portfolio_csv(
    *,
    session: SessionDep,
    officer: OfficerDep,
    specialty: Annotated[str, Query(max_length=100)] = "",
    stage: Annotated[str, Query(max_length=40)] = "",
    attention: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    order: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    """Every row the page would show with these filters (not only the first PAGE_ROWS), as CSV."""
    filters = Filters(
        specialty=specialty, stage=stage if stage in STAGES else "", needs_attention=attention == "1", q=q
    )
    rows, _ = await portfolio(session=session, officer_id=officer.officer_id, filters=filters, now=utcnow())
    if sort in SORTS:
        rows = sort_rows(rows, sort, descending=order == "desc")
    day = utcnow().date().isoformat()
    return Response(
        csv_of(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="portfolio-{day}.csv"'},
    )
