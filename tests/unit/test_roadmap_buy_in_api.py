"""Roadmap's buy-in API in process: a SQLite file and a fake Temporal client that records signals.

Communications (a fixed kind, to roles, when), training with attendance by pseudonym, the
preparation rule as the officer sees it and the counts-only event. The survey's rounds, links and
results are tested in test_roadmap_buy_in_survey.py with this file's app.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import select
from temporalio.client import Client

from services.roadmap.api import survey as survey_api
from services.roadmap.app import create_app
from services.roadmap.models import RoadmapClinic, RoadmapPlan
from services.roadmap.plans.worker import MIGRATIONS
from services.roadmap.settings import RoadmapSettings
from shared import db
from shared.auth import issue_token
from shared.events.buy_in import PlanBuyInChanged
from shared.outbox import OutboxMessage
from shared.pseudonyms import pseudonyms_for

OFFICER, OTHER = "officer-buy-in", "officer-other"
AGREEABLE = {
    "job_security_worry": 2,
    "confidence_to_learn": 4,
    "expected_extra_work": 2,
    "understanding_why": 5,
    "leadership_support": 4,
}


@dataclass
class FakeHandle:
    temporal: "FakeTemporal"
    workflow_id: str

    async def signal(self, signal: Any, *args: Any) -> None:
        self.temporal.signals.append((self.workflow_id, signal.__name__))


@dataclass
class FakeTemporal:
    signals: list[tuple[str, str]] = field(default_factory=list)

    def get_workflow_handle_for(self, _run: Any, workflow_id: str) -> FakeHandle:
        return FakeHandle(self, workflow_id)


@dataclass
class BuyInApp:
    app: FastAPI
    http: httpx.AsyncClient
    settings: RoadmapSettings
    temporal: FakeTemporal

    @property
    def sessions(self) -> db.SessionFactory:
        return cast(db.SessionFactory, self.app.state.runtime.sessions)

    def auth(self, officer_id: str = OFFICER) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, officer_id=officer_id)}"}

    async def plan(self, phase: str = "preparation") -> str:
        """A clinic of OFFICER with one plan in `phase`, as the plan's activities record it."""
        clinic_id, initiative_id = uuid.uuid4(), uuid.uuid4()
        plan_id = f"plan-{initiative_id}"
        async with self.sessions() as session:
            session.add(
                RoadmapClinic(id=clinic_id, officer_id=OFFICER, name="Hilltop Family", specialty="family")
            )
            session.add(
                RoadmapPlan(id=plan_id, clinic_id=clinic_id, initiative_id=initiative_id, phase=phase)
            )
            await session.commit()
        return plan_id

    async def plan_row(self, plan_id: str) -> RoadmapPlan | None:
        """The plan's row by its id alone: the test keeps no clinic (roadmap's own paths do)."""
        async with self.sessions() as session:
            return (await session.exec(select(RoadmapPlan).where(RoadmapPlan.id == plan_id))).first()

    async def set_phase(self, plan_id: str, phase: str) -> None:
        async with self.sessions() as session:
            found = await self.plan_row(plan_id)
            assert found is not None
            plan = await session.get(RoadmapPlan, (found.clinic_id, plan_id))
            assert plan is not None
            plan.phase = phase
            session.add(plan)
            await session.commit()

    async def buy_in(self, plan_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/plans/{plan_id}/buy-in", headers=self.auth())
        assert response.status_code == 200, response.text
        return cast(dict[str, Any], response.json())

    async def open_round(self, plan_id: str, stage: str = "before_pilot", links: int = 6) -> dict[str, Any]:
        """Open a round with `links` single-use links (the test plans have no roster)."""
        response = await self.http.post(
            f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": stage, "links": links}, headers=self.auth()
        )
        assert response.status_code == 201, response.text
        return cast(dict[str, Any], response.json())

    async def close(self, plan_id: str, round_id: str) -> dict[str, Any]:
        response = await self.http.post(
            f"/v1/plans/{plan_id}/buy-in/surveys/{round_id}/revoke", headers=self.auth()
        )
        assert response.status_code == 200, response.text
        return cast(dict[str, Any], response.json())

    async def answer(self, token: str, answers: dict[str, int] = AGREEABLE, **extra: Any) -> httpx.Response:
        opened = await self.http.post("/v1/public/buy-in-survey/open", json={"token": token})
        stamp = opened.json().get("form_stamp", "") if opened.status_code == 200 else ""
        body = {"token": token, "form_stamp": stamp, **answers, **extra}
        return await self.http.post("/v1/public/buy-in-survey/answers", json=body)

    async def staged(self) -> list[PlanBuyInChanged]:
        async with self.sessions() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.topic == "roadmap.plan.buy-in-changed.v1")
                )
            ).all()
        return [PlanBuyInChanged.model_validate_json(row.payload) for row in rows]


@pytest.fixture
async def roadmap(tmp_path: Path) -> AsyncIterator[BuyInApp]:
    settings = RoadmapSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'roadmap.db'}",
        survey_min_fill_seconds=0,
    )
    app = create_app(settings, TracerProvider())
    await db.migrate(settings.resolved_database_url, MIGRATIONS)
    temporal = FakeTemporal()
    app.state.temporal.use(cast(Client, temporal))
    await survey_api.answers_per_round.reset()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://roadmap") as http:
        yield BuyInApp(app=app, http=http, settings=settings, temporal=temporal)
    await app.state.runtime.engine.dispose()


async def test_communications_take_a_kind_from_the_list_and_roles_and_nudge_the_plan(
    roadmap: BuyInApp,
) -> None:
    plan_id = await roadmap.plan()
    path = f"/v1/plans/{plan_id}/buy-in/communications"
    sent = await roadmap.http.post(
        path, json={"kind": "why_we_change", "audiences": ["all_staff", "front_desk"]}, headers=roadmap.auth()
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["audiences"] == ["all_staff", "front_desk"]
    assert sent.json()["recorded_by"] == OFFICER
    assert roadmap.temporal.signals == [(plan_id, "buy_in_recorded")]

    free_text = await roadmap.http.post(
        path, json={"kind": "we told them on Monday", "audiences": ["all_staff"]}, headers=roadmap.auth()
    )
    assert free_text.status_code == 422
    assert "kind" in free_text.text and "why_we_change" in free_text.text  # names the field and the choices
    no_roles = await roadmap.http.post(
        path, json={"kind": "what_changes", "audiences": []}, headers=roadmap.auth()
    )
    assert no_roles.status_code == 422 and "audiences" in no_roles.text
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    later = await roadmap.http.post(
        path,
        json={"kind": "pilot_start", "audiences": ["pilot_group"], "sent_at": future},
        headers=roadmap.auth(),
    )
    assert later.status_code == 422 and "once it has been sent" in later.json()["detail"]
    for edge in ("0001-01-01T00:00:00+01:00", "1999-12-31T23:00:00Z"):
        refused = await roadmap.http.post(
            path,
            json={"kind": "pilot_start", "audiences": ["pilot_group"], "sent_at": edge},
            headers=roadmap.auth(),
        )
        assert refused.status_code == 422 and "sent_at" in refused.text, refused.text
    naive = await roadmap.http.post(
        path,
        json={"kind": "pilot_start", "audiences": ["pilot_group"], "sent_at": "2026-11-02T09:30:00"},
        headers=roadmap.auth(),
    )
    assert naive.status_code == 201 and naive.json()["sent_at"].startswith("2026-11-02T09:30:00")
    assert (await roadmap.http.post(path, json={}, headers=roadmap.auth(OTHER))).status_code in (404, 422)
    other = await roadmap.http.post(
        path, json={"kind": "why_we_change", "audiences": ["all_staff"]}, headers=roadmap.auth(OTHER)
    )
    assert other.status_code == 404
    assert (await roadmap.http.get(f"/v1/plans/{plan_id}/buy-in")).status_code == 401


async def test_training_attendance_is_by_pseudonym_and_a_booked_session_becomes_held(
    roadmap: BuyInApp,
) -> None:
    plan_id = await roadmap.plan()
    path = f"/v1/plans/{plan_id}/buy-in/trainings"
    named = await roadmap.http.post(
        path, json={"status": "held", "attendees": ["ma-1", "Jane Doe"]}, headers=roadmap.auth()
    )
    assert named.status_code == 422
    assert "never a name" in named.text
    early = await roadmap.http.post(
        path, json={"status": "booked", "attendees": ["ma-1"]}, headers=roadmap.auth()
    )
    assert early.status_code == 422 and "once the session is held" in early.json()["detail"]

    booked = await roadmap.http.post(path, json={"status": "booked"}, headers=roadmap.auth())
    assert booked.status_code == 201, booked.text
    assert (await roadmap.buy_in(plan_id))["preparation_missing"] == [
        "a communication to staff",
        "a training session held",
    ]
    attended = await roadmap.http.post(
        f"{path}/{booked.json()['id']}/attendance",
        json={"attendees": ["ma-1", "dr-7", "ma-1"]},
        headers=roadmap.auth(),
    )
    assert attended.status_code == 200, attended.text
    assert attended.json()["status"] == "held"
    # Kept as the pilot group is, by keyed pseudonym: a trained pilot member is one person.
    plan = await roadmap.plan_row(plan_id)
    assert plan is not None

    def kept(*staff: str) -> list[str]:
        secret = roadmap.settings.pseudonym_secret
        return sorted(pseudonyms_for(staff, clinic_id=plan.clinic_id, secret=secret))

    assert attended.json()["attendees"] == kept("dr-7", "ma-1")
    again = await roadmap.http.post(
        f"{path}/{booked.json()['id']}/attendance",
        json={"attendees": ["frontdesk-3"]},
        headers=roadmap.auth(),
    )
    assert again.json()["attendees"] == kept("dr-7", "frontdesk-3", "ma-1")
    view = await roadmap.buy_in(plan_id)
    assert view["staff_trained"] == 3
    assert view["preparation_missing"] == ["a communication to staff"]
    missing = await roadmap.http.post(
        f"{path}/{uuid.uuid4()}/attendance", json={"attendees": ["ma-1"]}, headers=roadmap.auth()
    )
    assert missing.status_code == 404


async def test_preparation_is_ready_with_a_communication_and_a_training_or_a_waiver(
    roadmap: BuyInApp,
) -> None:
    told_and_trained, waived = await roadmap.plan(), await roadmap.plan()
    assert (await roadmap.buy_in(told_and_trained))["preparation_ready"] is False
    await roadmap.http.post(
        f"/v1/plans/{told_and_trained}/buy-in/communications",
        json={"kind": "why_we_change", "audiences": ["all_staff"]},
        headers=roadmap.auth(),
    )
    await roadmap.http.post(
        f"/v1/plans/{told_and_trained}/buy-in/trainings", json={"attendees": ["ma-1"]}, headers=roadmap.auth()
    )
    ready = await roadmap.buy_in(told_and_trained)
    assert ready["preparation_ready"] is True and ready["preparation_missing"] == []

    short = await roadmap.http.put(
        f"/v1/plans/{waived}/buy-in/preparation-waiver", json={"reason": "  no  "}, headers=roadmap.auth()
    )
    assert short.status_code == 422 and "reason" in short.text
    waiver = await roadmap.http.put(
        f"/v1/plans/{waived}/buy-in/preparation-waiver",
        json={"reason": "the two pilot physicians trained at the vendor's site last month"},
        headers=roadmap.auth(),
    )
    assert waiver.status_code == 200, waiver.text
    view = await roadmap.buy_in(waived)
    assert view["preparation_ready"] is True
    assert len(view["preparation_missing"]) == 2  # still shown: the officer chose to go on without them
    assert view["waiver"]["recorded_by"] == OFFICER
    assert (waived, "buy_in_recorded") in roadmap.temporal.signals

    await roadmap.set_phase(waived, "pilot")
    late = await roadmap.http.put(
        f"/v1/plans/{waived}/buy-in/preparation-waiver",
        json={"reason": "changed my mind about the training"},
        headers=roadmap.auth(),
    )
    assert late.status_code == 409 and "left preparation already" in late.json()["detail"]


async def test_the_event_carries_counts_only(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/trainings",
        json={"attendees": ["ma-41", "dr-42"]},
        headers=roadmap.auth(),
    )
    await roadmap.http.put(
        f"/v1/plans/{plan_id}/buy-in/preparation-waiver",
        json={"reason": "the staff memo went out on paper, not recorded here"},
        headers=roadmap.auth(),
    )
    events = await roadmap.staged()
    assert [event.staff_trained for event in events] == [2, 2]
    assert events[-1].preparation_waived and events[-1].preparation_ready
    async with roadmap.sessions() as session:
        payloads = [row.payload for row in (await session.exec(select(OutboxMessage))).all()]
    assert not any(b"ma-41" in payload or b"paper" in payload for payload in payloads)
