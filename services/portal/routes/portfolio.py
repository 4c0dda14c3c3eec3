"""The portfolio page: every clinic of the officer, most in need first, filtered and searched."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.officer.sessions import utcnow
from services.portal.pages import charts
from services.portal.pages.portfolio import STAGES, ClinicRow, Filters, portfolio
from services.portal.pages.portfolio_tools import SORTS, csv_of, sort_rows, totals
from services.portal.routes.web import OfficerDep, render
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
# Rows shown before "show all": the most in need come first, the rest one click away.
PAGE_ROWS = 100


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/portfolio", status_code=303)


@dataclass(frozen=True)
class View:
    """The portfolio as asked for in the URL: its filters and the column it is sorted by."""

    filters: Filters
    sort: str  # a key of SORTS, or "" for the most in need first
    descending: bool
    query: str  # the filters as a query string, kept by the sort links and the CSV link


def portfolio_view(
    *,
    specialty: Annotated[str, Query(max_length=100)] = "",
    stage: Annotated[str, Query(max_length=40)] = "",
    attention: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    order: Annotated[str, Query(max_length=4)] = "",
) -> View:
    stage = stage if stage in STAGES else ""
    kept = {"specialty": specialty, "stage": stage, "attention": attention, "q": q}
    return View(
        Filters(specialty=specialty, stage=stage, needs_attention=attention == "1", q=q),
        sort if sort in SORTS else "",
        order == "desc",
        urlencode({name: value for name, value in kept.items() if value}),
    )


ViewDep = Annotated[View, Depends(portfolio_view)]


async def _rows(session: SessionDep, officer: OfficerDep, view: View) -> tuple[list[ClinicRow], list[str]]:
    rows, specialties = await portfolio(
        session=session, officer_id=officer.officer_id, filters=view.filters, now=utcnow()
    )
    return (sort_rows(rows, view.sort, view.descending) if view.sort else rows), specialties


@router.get("/portfolio", response_class=HTMLResponse)
async def portfolio_page(
    *,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
    view: ViewDep,
    show: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    rows, specialties = await _rows(session, officer, view)
    return render(
        request,
        "portfolio.html",
        {
            "rows": rows if show == "all" else rows[:PAGE_ROWS],
            "total": len(rows),
            "specialties": specialties,
            "stages": STAGES,
            "filters": view.filters,
            "funnel": charts.funnel(rows),
            "needing": sum(1 for row in rows if row.reasons),
            "items": sum(len(row.reasons) for row in rows),
            "totals": await totals(session, rows),
            "sort": view.sort,
            "order": "desc" if view.descending else "asc",
            "filter_query": view.query,
        },
        officer=officer,
    )


@router.get("/portfolio.csv")
async def portfolio_csv(*, session: SessionDep, officer: OfficerDep, view: ViewDep) -> Response:
    """Every row the page would show with these filters (not only the first PAGE_ROWS), as CSV."""
    rows, _ = await _rows(session, officer, view)
    day = utcnow().date().isoformat()
    return Response(
        csv_of(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="portfolio-{day}.csv"'},
    )
