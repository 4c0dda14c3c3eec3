"""The anonymity threshold on the officer's pages: four answers show nothing, five show the score.

Roadmap runs in process: staff answer through the portal's survey page, roadmap stages
roadmap.plan.buy-in-changed.v1, and the portal applies that very event to its read model (what
its Kafka handler does) before the clinic page and Today's gate are read.
"""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import col, select

from services.portal.app import create_app
from services.portal.pages import buy_in as buy_in_page
from services.portal.read_model import buy_in
from services.portal.read_model.models import PortalClinic, PortalInitiative, PortalPlan
from services.portal.routes import survey
from services.portal.settings import PortalSettings
from shared import db
from shared.auth import issue_sign_in_token
from shared.events.buy_in import PlanBuyInChanged
from shared.outbox import OutboxMessage
from tests.unit.test_roadmap_buy_in_api import AGREEABLE, BuyInApp, roadmap

__all__ = ["roadmap"]
MIGRATIONS = Path(__file__).parents[2] / "services" / "portal" / "migrations"
TOO_FEW = "too few responses to show without identifying anyone"


class Pages:
    def __init__(
        self, http: httpx.AsyncClient, settings: PortalSettings, sessions: db.SessionFactory
    ) -> None:
        self.http, self.settings, self.sessions = http, settings, sessions

    async def sign_in(self, officer_id: str) -> None:
        token, _ = issue_sign_in_token(self.settings, officer_id=officer_id, name="Dana Officer")
        assert (await self.http.get(f"/sign-in?token={token}")).status_code == 303


@pytest.fixture
async def pages(tmp_path: Path, roadmap: BuyInApp) -> AsyncIterator[Pages]:
    settings = PortalSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        mail_interval_seconds=0,
    )
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    app.state.service_http = {
        "roadmap": httpx.AsyncClient(
            transport=httpx.ASGITransport(app=roadmap.app), base_url="http://roadmap"
        )
    }
    await survey.answers_per_address.reset()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
    ) as http:
        yield Pages(http, settings, app.state.runtime.sessions)
    await app.state.runtime.engine.dispose()


async def plan_in_both(roadmap: BuyInApp, pages: Pages, officer_id: str) -> tuple[str, UUID]:
    """A plan at its gate, known to roadmap and (as its events told it) to the portal."""
    plan_id = await roadmap.plan("evaluation")
    plan = await roadmap.plan_row(plan_id)
    assert plan is not None
    clinic_id, initiative_id = plan.clinic_id, plan.initiative_id
    now = datetime.now(UTC)
    async with pages.sessions() as session:
        session.add(
            PortalClinic(id=clinic_id, officer_id=officer_id, name="Harbor Orthopedics", specialty="ortho")
        )
        session.add(
            PortalInitiative(
                id=initiative_id, clinic_id=clinic_id, problem="documentation", kpi="missed_call_rate"
            )
        )
        session.add(
            PortalPlan(
                id=plan_id,
                clinic_id=clinic_id,
                initiative_id=initiative_id,
                phase="evaluation",
                phase_since=now,
                started_at=now,
            )
        )
        await session.commit()
    return plan_id, clinic_id


async def relay_latest_event(roadmap: BuyInApp, pages: Pages) -> PlanBuyInChanged:
    """What the outbox relay and the portal's handler do: the newest buy-in event into the read model."""
    async with roadmap.sessions() as session:
        row = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.topic == "roadmap.plan.buy-in-changed.v1")
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()
    assert row is not None
    event = PlanBuyInChanged.model_validate_json(row.payload)
    async with pages.sessions() as session:
        await buy_in.record_buy_in(session=session, event=event)
        await session.commit()
    return event


async def answer_through_the_page(pages: Pages, token: str) -> None:
    page = await pages.http.get(f"/survey/{token}")
    stamp = re.search(r'name="form_stamp" value="([^"]+)"', page.text)
    assert stamp, page.text
    answers = {key: str(value) for key, value in AGREEABLE.items()}
    sent = await pages.http.post(f"/survey/{token}", data={"form_stamp": stamp.group(1), **answers})
    assert sent.status_code == 200, sent.text


async def test_an_open_round_shows_no_count_and_a_closed_one_its_score_on_the_officers_pages(
    roadmap: BuyInApp, pages: Pages
) -> None:
    officer = "officer-buy-in"  # the roadmap fixture's officer
    plan_id, clinic_id = await plan_in_both(roadmap, pages, officer)
    await pages.sign_in(officer)
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": ["ma-1"]}, headers=roadmap.auth()
    )
    await relay_latest_event(roadmap, pages)
    before = await pages.http.get(f"/clinics/{clinic_id}")
    assert "no survey at the gate yet" in before.text and "faio plan" not in before.text
    survey = await roadmap.open_round(plan_id, "gate")
    opened = await relay_latest_event(roadmap, pages)
    for link in survey["links"][:5]:
        await answer_through_the_page(pages, link["link_token"])
    # Answers stage no event: a new one after each answer would say who just answered.
    assert await relay_latest_event(roadmap, pages) == opened
    assert opened.surveys[0].open and opened.surveys[0].responses == 0 and not opened.surveys[0].shown

    clinic = await pages.http.get(f"/clinics/{clinic_id}")
    assert clinic.status_code == 200
    assert "survey at the gate: open; results show once it closes, from 5 answers" in clinic.text
    assert "buy-in 80 / 100" not in clinic.text
    today = await pages.http.get("/today")
    gate = today.text[today.text.index(f'id="gate-{plan_id}"') :]
    assert "Staff buy-in" in gate and "results show once it closes" in gate

    await roadmap.close(plan_id, survey["id"])
    await relay_latest_event(roadmap, pages)
    clinic = await pages.http.get(f"/clinics/{clinic_id}")
    assert "survey at the gate: buy-in 80 / 100 (5 answers)" in clinic.text
    assert TOO_FEW not in clinic.text and "no survey at the gate yet" not in clinic.text
    today = await pages.http.get("/today")
    assert "buy-in 80 / 100" in today.text[today.text.index(f'id="gate-{plan_id}"') :]


async def test_an_older_event_does_not_overwrite_newer_figures(roadmap: BuyInApp, pages: Pages) -> None:
    plan_id, _clinic_id = await plan_in_both(roadmap, pages, "officer-buy-in")
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": ["ma-1"]}, headers=roadmap.auth()
    )
    first = await relay_latest_event(roadmap, pages)
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings", json={"attendees": ["ma-2"]}, headers=roadmap.auth()
    )
    await relay_latest_event(roadmap, pages)
    async with pages.sessions() as session:
        await buy_in.record_buy_in(session=session, event=first)  # redelivered late
        await session.commit()
        summaries = await buy_in_page.buy_in_of_plans(session, [plan_id])
    assert summaries[plan_id].trained == "2 trainings held, 2 staff trained"
