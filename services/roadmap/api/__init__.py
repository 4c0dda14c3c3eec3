"""Every HTTP route of roadmap, one module per resource (as the FastAPI template's api/routes/)."""

from fastapi import APIRouter

from services.roadmap.api import (
    buy_in,
    catalog,
    close_out,
    initiatives,
    plans,
    practice_report,
    strategy,
    survey,
)

ROUTERS: list[APIRouter] = [
    initiatives.router,
    plans.router,
    close_out.router,
    buy_in.router,
    survey.router,
    strategy.router,
    catalog.router,
    practice_report.router,
]
