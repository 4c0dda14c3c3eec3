"""The portfolio page: every clinic of the officer, most in need first, filtered, searched and shown a
page of rows at a time; its counts, totals and funnel are over every clinic the filters keep."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.officer.sessions import utcnow
from services.portal.pages import charts, reads
from services.portal.pages.portfolio import STAGES, ClinicRow, Filters, portfolio, with_sparklines
from services.portal.pages.portfolio_tools import SORTS, csv_of, sort_rows, totals
from services.portal.routes.web import OfficerDep, render
from shared.app import SessionDep

router = APIRouter(include_in_schema=False)
# Rows a page: the most in need come first, the next ones a click away (the CSV holds them all).
PAGE_ROWS = 50


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
    sorted_query: str  # the filters and the sort, kept by the page links


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
    sort = sort if sort in SORTS else ""
    kept = {"specialty": specialty, "stage": stage, "attention": attention, "q": q}
    query = urlencode({name: value for name, value in kept.items() if value})
    by = urlencode({"sort": sort, "order": "desc" if order == "desc" else "asc"}) if sort else ""
    return View(
        Filters(specialty=specialty, stage=stage, needs_attention=attention == "1", q=q),
        sort,
        order == "desc",
        query,
        "&".join(part for part in (query, by) if part),
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
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    rows, specialties = await _rows(session, officer, view)
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(page, pages)  # past the end (clinics archived since): the last page
    first = (page - 1) * PAGE_ROWS
    return render(
        request,
        "portfolio.html",
        {
            "rows": await with_sparklines(session, rows[first : first + PAGE_ROWS]),
            "first": first + 1,
            "page": page,
            "pages": pages,
            "page_query": view.sorted_query,
            "total": len(rows),
            "specialties": specialties,
            "stages": STAGES,
            "filters": view.filters,
            "funnel": charts.funnel(rows),
            "needing": sum(1 for row in rows if row.reasons),
            "items": sum(len(row.reasons) for row in rows),
            "totals": await totals(session, rows, reads.officer_clinic_ids(officer.officer_id)),
            "sort": view.sort,
            "order": "desc" if view.descending else "asc",
            "filter_query": view.query,
        },
        officer=officer,
    )


@router.get("/portfolio.csv")
async def portfolio_csv(*, session: SessionDep, officer: OfficerDep, view: ViewDep) -> Response:
    """Every row the pages would show with these filters (not only one page), as CSV."""
    rows, _ = await _rows(session, officer, view)
    day = utcnow().date().isoformat()
    return Response(
        csv_of(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="portfolio-{day}.csv"'},
    )
