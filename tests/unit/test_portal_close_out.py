"""A finished plan's clinic page links its close-out report; the portal shows roadmap's page."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from deploy.local.kafka import free_port
from deploy.local.mail_sink import start_sink
from services.portal.app import create_app
from services.portal.read_model.models import PortalClinic, PortalInitiative, PortalPlan
from services.portal.settings import PortalSettings
from shared import db
from shared.auth import issue_sign_in_token, verify_token
from shared.http_edge import page_policy_with_styles_of
from tests.unit.test_portal_pages import MIGRATIONS

REPORT_PAGE = (
    "<!doctype html><title>Close-out</title><style>h2 { color: #1d2433; }</style><h2>Baseline and result</h2>"
)


class Roadmap:
    """Answers the close-out page (or a refusal) and keeps what it was asked."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(
                self.status, json={"detail": "plan p is in its pilot phase: written once done"}
            )
        return httpx.Response(200, text=REPORT_PAGE, headers={"content-type": "text/html"})


@pytest.fixture
async def portal(
    tmp_path: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, PortalSettings, db.SessionFactory, Roadmap]]:
    smtp_port = free_port()
    settings = PortalSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        smtp_port=smtp_port,
        public_url="http://portal.test",
    )
    sink = start_sink("127.0.0.1", smtp_port, tmp_path / "mail")
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    roadmap = Roadmap()
    app.state.service_http = {
        "roadmap": httpx.AsyncClient(transport=httpx.MockTransport(roadmap.handle), base_url="http://roadmap")
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        yield http, settings, app.state.runtime.sessions, roadmap
    sink.stop()
    await app.state.runtime.engine.dispose()


async def test_a_done_plan_links_its_close_out_report_and_the_portal_shows_it(
    portal: tuple[httpx.AsyncClient, PortalSettings, db.SessionFactory, Roadmap],
) -> None:
    http, settings, sessions, roadmap = portal
    clinic_id, initiative_id, plan_id = uuid4(), uuid4(), f"plan-{uuid4()}"
    now = datetime.now(UTC)
    async with sessions() as session:
        session.add(
            PortalClinic(id=clinic_id, officer_id="officer-a", name="Harbor Orthopedics", specialty="ortho")
        )
        session.add(PortalInitiative(id=initiative_id, clinic_id=clinic_id, problem="documentation", kpi="x"))
        session.add(
            PortalPlan(
                id=plan_id,
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                phase="done",
                phase_since=now,
                started_at=now,
            )
        )
        await session.commit()
    token, _ = issue_sign_in_token(settings, officer_id="officer-a", name="Dana Officer")
    assert (await http.get(f"/sign-in?token={token}")).status_code == 303

    clinic_page = await http.get(f"/clinics/{clinic_id}")
    assert f'href="/plans/{plan_id}/close-out"' in clinic_page.text
    report = await http.get(f"/plans/{plan_id}/close-out")
    # Inside the portal's frame: its navigation, roadmap's report and its own style.
    assert report.status_code == 200 and 'href="/today"' in report.text
    assert (
        "<h2>Baseline and result</h2>" in report.text
        and "<style>h2 { color: #1d2433; }</style>" in report.text
    )
    # Roadmap's own <style> is allowed by its hash; no inline script is.
    assert report.headers["content-security-policy"] == page_policy_with_styles_of(REPORT_PAGE)
    assert "style-src 'self' 'sha256-" in report.headers["content-security-policy"]
    # The clinic page also asked roadmap for the plan's money (its practice report).
    [asked] = [request for request in roadmap.requests if request.url.path.endswith("close-out.html")]
    assert asked.url.path == f"/v1/plans/{plan_id}/close-out.html"
    assert verify_token(settings, asked.headers["authorization"].removeprefix("Bearer ")).id == "officer-a"

    roadmap.status = 409
    refused = await http.get(f"/plans/{plan_id}/close-out")
    assert refused.status_code == 303 and refused.headers["location"] == f"/clinics/{clinic_id}"
    shown = await http.get(f"/clinics/{clinic_id}")
    assert "No close-out report yet: plan p is in its pilot phase" in shown.text

    token_b, _ = issue_sign_in_token(settings, officer_id="officer-b", name="Other Officer")
    await http.get(f"/sign-in?token={token_b}")
    assert (await http.get(f"/plans/{plan_id}/close-out")).status_code == 404
    assert len([request for request in roadmap.requests if request.url.path.endswith("close-out.html")]) == 2
