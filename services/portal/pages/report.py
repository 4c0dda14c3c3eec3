"""The practice's roadmap report: one page for the practice owner (routes/report.py serves it as
HTML and as a PDF).

Built from the same data the portal shows: the read model (readiness, where the hours go, KPI
weeks) and roadmap's JSON (first problem and why, plan dates, KPI evidence, money, strategy map).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.officer import actions
from services.portal.officer.sessions import SignedIn, utcnow
from services.portal.pages import rules
from services.portal.pages.clinic import ClinicStory, clinic_story
from services.portal.pages.strategy import heat_map
from services.portal.settings import settings_of
from shared.api_client import Refusal
from shared.api_client import roadmap as roadmap_api

WEEKS_PER_YEAR = 52


@dataclass
class TimeRow:
    category: str
    hours_per_week: float
    cost_per_week: float
    share: float  # of all logged hours


@dataclass
class PracticeReport:
    story: ClinicStory
    roadmap: dict[str, Any] | None
    unavailable: str
    time: list[TimeRow]
    readiness: list[tuple[str, float]]
    kpi_latest: dict[str, Any] | None
    heat: dict[str, Any] | None
    generated: datetime
    officer_name: str
    # The first problem's KPI is AI use at a clinic of one or two people: its figures are theirs.
    kpi_per_person: bool = False


def time_rows(candidates: list[dict[str, Any]], total_hours: float) -> list[TimeRow]:
    """Where the staff's time goes, most hours first (the audit's categories, per week)."""
    rows = [
        TimeRow(
            category=str(item.get("category", "")).replace("_", " "),
            hours_per_week=float(item.get("hours_per_week", 0)),
            cost_per_week=float(item.get("cost_per_week", 0)),
            share=float(item.get("hours_per_week", 0)) / total_hours if total_hours > 0 else 0.0,
        )
        for item in candidates
    ]
    return sorted(rows, key=lambda row: -row.hours_per_week)


def latest_kpi(story: ClinicStory, kpi: str | None) -> dict[str, Any] | None:
    """The newest measured week of the first problem's KPI (value, baseline, target) from the read model."""
    for chart in story.kpi_charts:
        if chart["kpi"] != kpi:
            continue
        for index in range(len(chart["weeks"]) - 1, -1, -1):
            if chart["value"][index] is not None:
                return {
                    "week": chart["weeks"][index],
                    "value": chart["value"][index],
                    "baseline": chart["baseline"][index],
                    "target": chart["target"][index],
                }
    return None


async def build_report(
    request: Request, session: AsyncSession, officer: SignedIn, clinic_id: UUID
) -> PracticeReport:
    story = await clinic_story(
        session=session,
        clinic_id=clinic_id,
        officer_id=officer.officer_id,
        now=utcnow(),
        pseudonym_secret=settings_of(request).pseudonym_secret,
    )
    roadmap: dict[str, Any] | None = None
    unavailable = ""
    try:
        roadmap = await actions.as_officer(request, officer, roadmap_api.practice_report(clinic_id=clinic_id))
    except Refusal as refused:
        unavailable = (
            f"the roadmap's part (first problem, plan, KPIs, money) is not available: {refused.reason}"
        )
    audit = story.audit
    first = (roadmap or {}).get("first") or {}
    per_person = story.adoption_per_person and first.get("kpi") in rules.ADOPTION_KPIS
    return PracticeReport(
        story=story,
        roadmap=roadmap,
        unavailable=unavailable,
        time=time_rows(audit.candidates, audit.total_hours_per_week) if audit else [],
        readiness=sorted(
            (story.assessment.dimension_scores.items() if story.assessment else []), key=lambda item: item[1]
        ),
        kpi_latest=None if per_person else latest_kpi(story, first.get("kpi")),
        kpi_per_person=per_person,
        heat=heat_map(roadmap["strategy"]) if roadmap else None,
        generated=utcnow(),
        officer_name=officer.officer_name or officer.officer_id,
    )
