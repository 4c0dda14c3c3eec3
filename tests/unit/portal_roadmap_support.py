"""The portal in process, talking to a real roadmap app in process (no stand-ins for roadmap's answers)."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from deploy.local.kafka import free_port
from services.portal.app import create_app
from services.portal.read_model.models import PortalAssessment, PortalAudit, PortalClinic, PortalPlan
from services.portal.settings import PortalSettings
from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.plans.contracts import PlanInput
from shared import db
from shared.auth import issue_sign_in_token
from tests.unit.roadmap_support import RoadmapApp, roadmap_app

PORTAL_MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"
OFFICER = "officer-portal-strategy"
HOURS = {
    "documentation": (22.5, 1_687.5),
    "billing": (12.0, 420.0),
    "appointment_scheduling": (9.0, 270.0),
}
DIMENSIONS = {"leadership": 72.0, "workflows": 58.0, "staff": 45.0, "data": 66.0, "compliance": 81.0}


@dataclass
class PortalWithRoadmap:
    http: httpx.AsyncClient
    settings: PortalSettings
    sessions: db.SessionFactory
    roadmap: RoadmapApp
    roadmap_client: httpx.AsyncClient
    app: FastAPI

    async def sign_in(self, officer_id: str = OFFICER) -> str:
        """Sign in with a fresh link; returns the CSRF token of the new session."""
        token, _ = issue_sign_in_token(self.settings, officer_id=officer_id, name="Dana Officer")
        answer = await self.http.get(f"/sign-in?token={token}")
        assert answer.status_code == 303, answer.text
        page = await self.http.get("/portfolio")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    async def clinic(self, officer_id: str = OFFICER, name: str = "Harbor Family Practice") -> uuid.UUID:
        """One clinic as both services know it: roadmap from the events, the portal's read model likewise."""
        clinic_id = await self.roadmap.clinic(officer_id, hours=HOURS, dimensions=DIMENSIONS)
        now = datetime.now(UTC)
        async with self.sessions() as session:
            session.add(
                PortalClinic(id=clinic_id, officer_id=officer_id, name=name, specialty="family medicine")
            )
            session.add(
                PortalAssessment(
                    clinic_id=clinic_id,
                    assessment_id=uuid.uuid4(),
                    overall_score=64.4,
                    level="ready",
                    dimension_scores=DIMENSIONS,
                    completed_at=now,
                )
            )
            session.add(
                PortalAudit(
                    clinic_id=clinic_id,
                    audit_id=uuid.uuid4(),
                    window_start=date(2026, 11, 2),
                    window_end=date(2026, 11, 8),
                    total_hours_per_week=sum(h for h, _ in HOURS.values()),
                    total_cost_per_week=sum(c for _, c in HOURS.values()),
                    staff_logged=7,
                    staff_expected=8,
                    candidates=[
                        {
                            "rank": rank,
                            "category": category,
                            "hours_per_week": h,
                            "cost_per_week": c,
                            "hours_saved_low": h * 0.1,
                            "hours_saved_high": h * 0.3,
                        }
                        for rank, (category, (h, c)) in enumerate(HOURS.items(), start=1)
                    ],
                    completed_at=now,
                )
            )
            await session.commit()
        return clinic_id

    async def approved_plan(
        self, clinic_id: uuid.UUID, initiative_id: uuid.UUID, approval: ApprovalIn
    ) -> None:
        """Approve in roadmap (its workflow not started) and show the plan in its baseline on the portal."""
        async with self.roadmap.sessions() as session:
            approved = await approve_initiative(
                session=session,
                initiative_id=initiative_id,
                officer_id=OFFICER,
                approval=approval,
                start_plan=no_workflow,
                pseudonym_secret="test-pseudonyms",
            )
        now = datetime.now(UTC)
        async with self.sessions() as session:
            session.add(
                PortalPlan(
                    id=str(approved.plan_id),
                    clinic_id=clinic_id,
                    initiative_id=initiative_id,
                    phase="baseline",
                    phase_since=now,
                    started_at=now,
                )
            )
            await session.commit()


async def no_workflow(plan: PlanInput) -> None:
    """A plan approved without starting its Temporal workflow (these tests have no Temporal)."""
    return None


@asynccontextmanager
async def portal_with_roadmap(tmp_path: Path) -> AsyncIterator[PortalWithRoadmap]:
    """The portal, its database migrated, calling a real roadmap app in process."""
    settings = PortalSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        smtp_port=free_port(),
        public_url="http://portal.test",
    )
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, PORTAL_MIGRATIONS)
    async with roadmap_app(tmp_path) as roadmap:
        roadmap_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=roadmap.app), base_url="http://roadmap"
        )
        app.state.service_http = {"roadmap": roadmap_client}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
        ) as http:
            yield PortalWithRoadmap(http, settings, app.state.runtime.sessions, roadmap, roadmap_client, app)
        await roadmap_client.aclose()
    await app.state.runtime.engine.dispose()


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[PortalWithRoadmap]:
    async with portal_with_roadmap(tmp_path) as running:
        yield running
