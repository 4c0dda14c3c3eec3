"""The public forms' stack for integration and browser tests: intake, audit and the portal on real
Kafka and a real Temporal server, and the officer's steps that make a link."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from services.intake.settings import IntakeSettings
from services.portal.read_model.models import PortalClinic
from services.portal.settings import PortalSettings
from shared.auth import issue_sign_in_token
from shared.public_links import issue_form_stamp
from tests.polling import eventually
from tests.services import Platform, registered_officer, running

STAFF = [
    {"role": "front desk", "headcount": 2, "hourly_cost": 24.0},
    {"role": "physician", "headcount": 1, "hourly_cost": 110.0},
]


@dataclass
class FormsStack:
    platform: Platform
    spans: InMemorySpanExporter
    kafka: str
    tokens: dict[str, str] = field(default_factory=dict)  # officer id -> bearer token

    def auth(self, officer_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[officer_id]}"}

    async def officer(self) -> str:
        officer_id, token = await registered_officer(self.platform["intake"].http)
        self.tokens[officer_id] = token
        return officer_id

    async def prospect_invite(self, officer_id: str, **body: Any) -> dict[str, Any]:
        response = await self.platform["intake"].http.post(
            "/v1/prospect-invites", json=body, headers=self.auth(officer_id)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def clinic_in_audit_week(
        self, officer_id: str, name: str = "Lakeside Pediatrics"
    ) -> tuple[str, str]:
        """A clinic registered at intake, known to audit and the portal (by events), with an open audit."""
        created = await self.platform["intake"].http.post(
            "/v1/clinics",
            json={"name": name, "specialty": "pediatrics", "locations": 1, "staff": STAFF},
            headers=self.auth(officer_id),
        )
        assert created.status_code == 201, created.text
        clinic_id = str(created.json()["id"])
        audit = self.platform["audit"].http

        async def opened() -> dict[str, Any] | None:
            answer = await audit.post(f"/v1/clinics/{clinic_id}/audits", headers=self.auth(officer_id))
            return dict(answer.json()) if answer.status_code == 201 else None

        window = await eventually(opened, within=30, what="audit to learn the clinic and open its window")

        async def portal_knows() -> bool:
            async with self.platform["portal"].runtime.sessions() as session:
                return await session.get(PortalClinic, uuid.UUID(clinic_id)) is not None

        await eventually(portal_knows, within=30, what="the portal to learn the clinic")
        return clinic_id, str(window["id"])

    async def task_log_link(self, officer_id: str, audit_id: str) -> dict[str, Any]:
        response = await self.platform["audit"].http.post(
            f"/v1/audits/{audit_id}/task-log-links", headers=self.auth(officer_id)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


@asynccontextmanager
async def signed_in_portal(stack: FormsStack, officer_id: str) -> AsyncIterator[httpx.AsyncClient]:
    """A portal client with the officer's session, as a one-time sign-in link opens it."""
    token, _ = issue_sign_in_token(PortalSettings(environment="test"), officer_id=officer_id, name="Dana")
    transport = httpx.ASGITransport(app=stack.platform["portal"].app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        signed = await client.get("/sign-in", params={"token": token})
        assert signed.status_code == 303, signed.text
        yield client


def aged_stamp(link_id: str, seconds: float = 60) -> str:
    """A fill-time stamp as if the form had been open `seconds`: tests need not wait 20 s."""
    return issue_form_stamp(
        IntakeSettings(environment="test"),
        link_id=link_id,
        now=datetime.now(UTC) - timedelta(seconds=seconds),
    )


@asynccontextmanager
async def forms_stack(kafka: str, temporal: WorkflowEnvironment, data_dir: Path) -> AsyncIterator[FormsStack]:
    spans = InMemorySpanExporter()
    target = temporal.client.service_client.config.target_host
    async with running(
        "intake",
        "audit",
        "portal",
        kafka=kafka,
        data_dir=data_dir,
        spans=spans,
        temporal_address=target,
        audit_task_queue=f"audit-{uuid.uuid4()}",  # no worker: the windows stay open
    ) as platform:
        yield FormsStack(platform, spans, kafka)
