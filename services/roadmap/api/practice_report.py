"""Roadmap's part of the practice's report (the portal renders it)."""

from uuid import UUID

from fastapi import APIRouter

from services.roadmap import clinics
from services.roadmap.practice_report import PracticeReportData, report_data
from shared import clock
from shared.app import SessionDep
from shared.auth import CurrentOfficer

router = APIRouter(prefix="/v1")


@router.get("/clinics/{clinic_id}/practice-report", response_model=PracticeReportData, tags=["strategy"])
async def practice_report(clinic_id: UUID, session: SessionDep, officer: CurrentOfficer) -> object:
    """Roadmap's part of the report for the practice owner: first problem and why, plan dates, KPI
    with baseline, target and published evidence, money, and the strategy map (the portal renders it)."""
    clinic = await clinics.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)
    data = await report_data(session=session, clinic=clinic, today=clock.today())
    await session.commit()  # a first read seeds the officer's catalog
    return data
