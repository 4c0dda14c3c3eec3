"""The roadmap service in process for API tests: a SQLite file, no broker, spans kept in memory."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.roadmap.app import create_app
from services.roadmap.initiatives import proposals
from services.roadmap.settings import RoadmapSettings
from shared import db
from shared.auth import issue_token
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted, AutomationCandidate
from shared.events.intake import AssessmentCompleted, StaffRole

MIGRATIONS = Path(__file__).parents[2] / "services" / "roadmap" / "migrations"


@dataclass
class RoadmapApp:
    app: FastAPI
    http: httpx.AsyncClient
    settings: RoadmapSettings
    spans: InMemorySpanExporter

    @property
    def sessions(self) -> db.SessionFactory:
        return cast(db.SessionFactory, self.app.state.runtime.sessions)

    def auth(self, officer_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, officer_id=officer_id)}"}

    async def clinic(
        self,
        officer_id: str,
        *,
        systems: dict[str, str] | None = None,
        hours: dict[str, tuple[float, float]] | None = None,
        dimensions: dict[str, float] | None = None,
        staff: list[StaffRole] | None = None,
    ) -> uuid.UUID:
        """A clinic with its assessment and audit, as roadmap learns them from the events."""
        clinic_id = uuid.uuid4()
        now = datetime.now(UTC)
        async with self.sessions() as session:
            await proposals.record_clinic(
                session=session,
                event=ClinicRegistered(
                    clinic_id=clinic_id,
                    officer_id=officer_id,
                    name="Lakeside Pediatrics",
                    specialty="pediatrics",
                    locations=1,
                    staff=staff or [],
                    systems={"emr": "athenahealth", "phone": "RingCentral"} if systems is None else systems,
                ),
            )
            if dimensions is not None:
                await proposals.record_assessment(
                    session=session,
                    event=AssessmentCompleted(
                        clinic_id=clinic_id,
                        assessment_id=uuid.uuid4(),
                        questionnaire_version="1",
                        overall_score=sum(dimensions.values()) / len(dimensions),
                        level="ready",
                        dimension_scores=dimensions,
                        completed_at=now,
                    ),
                )
            if hours is not None:
                await proposals.record_audit(session=session, event=audit_of(clinic_id, hours, now))
            await session.commit()
        return clinic_id


def audit_of(clinic_id: uuid.UUID, hours: dict[str, tuple[float, float]], at: datetime) -> AuditCompleted:
    return AuditCompleted(
        clinic_id=clinic_id,
        audit_id=uuid.uuid4(),
        window_start=at.date(),
        window_end=at.date(),
        total_hours_per_week=sum(h for h, _ in hours.values()),
        total_cost_per_week=sum(c for _, c in hours.values()),
        low_confidence=False,
        candidates=[
            AutomationCandidate(
                rank=rank,
                category=category,
                solution="",
                hours_per_week=h,
                cost_per_week=cost,
                predictability=0.8,
                score=cost / 10,
                hours_saved_low=h * 0.3,
                hours_saved_high=h * 0.5,
            )
            for rank, (category, (h, cost)) in enumerate(hours.items(), start=1)
        ],
        completed_at=at,
    )


@asynccontextmanager
async def roadmap_app(tmp_path: Path, database_url: str = "") -> AsyncIterator[RoadmapApp]:
    """Roadmap on a SQLite file in `tmp_path`, or on `database_url` (a PostgreSQL database)."""
    settings = RoadmapSettings(
        environment="test", database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}"
    )
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = create_app(settings, provider)
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://roadmap") as http:
        yield RoadmapApp(app=app, http=http, settings=settings, spans=spans)
    await app.state.runtime.engine.dispose()
