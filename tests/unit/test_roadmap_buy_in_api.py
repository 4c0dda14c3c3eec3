"""Roadmap's buy-in API in process: a SQLite file and a fake Temporal client that records signals.

Communications (a fixed kind, to roles, when), training with attendance by pseudonym, the
preparation rule as the officer sees it, survey rounds with signed links (expired, revoked and
forged ones refused with what to do), the anonymity threshold and the counts-only event.
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
from shared.public_links import LinkPurpose, RateLimit, issue_form_stamp, issue_link

OFFICER, OTHER = "officer-buy-in", "officer-other"
TOO_FEW = "too few responses to show without identifying anyone"
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

    async def set_phase(self, plan_id: str, phase: str) -> None:
        async with self.sessions() as session:
            plan = await session.get(RoadmapPlan, plan_id)
            assert plan is not None
            plan.phase = phase
            session.add(plan)
            await session.commit()

    async def buy_in(self, plan_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/plans/{plan_id}/buy-in", headers=self.auth())
        assert response.status_code == 200, response.text
        return cast(dict[str, Any], response.json())

    async def open_round(self, plan_id: str, stage: str = "before_pilot") -> dict[str, Any]:
        response = await self.http.post(
            f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": stage}, headers=self.auth()
        )
        assert response.status_code == 201, response.text
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
    await survey_api.answers_per_link.reset()
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
        "a communication to staff (faio plan buy-in communicate)",
        "a training session held (faio plan buy-in train)",
    ]
    attended = await roadmap.http.post(
        f"{path}/{booked.json()['id']}/attendance",
        json={"attendees": ["ma-1", "dr-7", "ma-1"]},
        headers=roadmap.auth(),
    )
    assert attended.status_code == 200, attended.text
    assert attended.json()["status"] == "held"
    assert attended.json()["attendees"] == ["dr-7", "ma-1"]
    again = await roadmap.http.post(
        f"{path}/{booked.json()['id']}/attendance",
        json={"attendees": ["frontdesk-3"]},
        headers=roadmap.auth(),
    )
    assert again.json()["attendees"] == ["dr-7", "frontdesk-3", "ma-1"]
    view = await roadmap.buy_in(plan_id)
    assert view["staff_trained"] == 3
    assert view["preparation_missing"] == ["a communication to staff (faio plan buy-in communicate)"]
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


async def test_four_answers_show_nothing_five_show_results_then_only_in_groups_of_five(
    roadmap: BuyInApp,
) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    token = survey["link_token"]
    assert survey["results"] == {
        "responses": 0,
        "shown": False,
        "message": f"{TOO_FEW} (0 so far; results show from 5)",
        "counted": 0,
        "buy_in_score": None,
        "questions": [],
    }
    opened = await roadmap.http.post("/v1/public/buy-in-survey/open", json={"token": token})
    assert opened.status_code == 200
    page = opened.json()
    assert page["clinic_name"] == "Hilltop Family"
    assert [question["key"] for question in page["questions"]] == list(AGREEABLE)
    assert plan_id not in opened.text  # staff see nothing that names the plan

    for _ in range(4):
        assert (await roadmap.answer(token)).status_code == 201
    four = (await roadmap.buy_in(plan_id))["surveys"][0]["results"]
    assert four["responses"] == 4 and four["shown"] is False
    assert four["message"].startswith(TOO_FEW)
    assert four["questions"] == [] and four["buy_in_score"] is None
    assert all(
        not survey.shown and not survey.question_means
        for event in await roadmap.staged()
        for survey in event.surveys
    )

    assert (await roadmap.answer(token)).status_code == 201
    five = (await roadmap.buy_in(plan_id))["surveys"][0]["results"]
    assert five["shown"] is True and five["counted"] == 5
    means = {question["question"]: question["mean"] for question in five["questions"]}
    assert means == {key: float(value) for key, value in AGREEABLE.items()}
    assert five["buy_in_score"] == 80.0  # (4+4+4+5+4)/5 = 4.2 on 1..5, reversed worry and work

    # A sixth answer does not move the figures: comparing before and after would reveal it.
    sixth = {key: 1 for key in AGREEABLE}
    assert (await roadmap.answer(token, sixth)).status_code == 201
    six = (await roadmap.buy_in(plan_id))["surveys"][0]["results"]
    assert six["responses"] == 6 and six["counted"] == 5 and six["questions"] == five["questions"]
    last = (await roadmap.staged())[-1].surveys[0]
    assert last.shown and last.responses == 6 and last.question_means["understanding_why"] == 5.0


async def test_one_round_per_stage_and_each_stage_at_its_phase(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    await roadmap.open_round(plan_id, "before_pilot")
    twice = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": "before_pilot"}, headers=roadmap.auth()
    )
    assert twice.status_code == 409 and "one round per stage" in twice.json()["detail"]
    early = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys", json={"stage": "gate"}, headers=roadmap.auth()
    )
    assert early.status_code == 409 and "pilot or evaluation" in early.json()["detail"]
    await roadmap.set_phase(plan_id, "evaluation")
    await roadmap.open_round(plan_id, "gate")
    await roadmap.set_phase(plan_id, "sustain")
    await roadmap.open_round(plan_id, "sustain")
    assert [survey["stage"] for survey in (await roadmap.buy_in(plan_id))["surveys"]] == [
        "before_pilot",
        "gate",
        "sustain",
    ]


async def test_expired_revoked_and_forged_links_are_refused_saying_what_to_do(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    survey = await roadmap.open_round(plan_id)
    token = survey["link_token"]
    expired = issue_link(
        roadmap.settings,
        purpose=LinkPurpose.BUY_IN_SURVEY,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    prospect = issue_link(  # a real link of another purpose does not open the survey
        roadmap.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=survey["id"],
        subject_id=plan_id,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    for bad, words in (
        (expired, "this link has expired"),
        (token[:-4] + "AAAA", "not one faio made"),
        (prospect, "not one faio made"),
    ):
        refused = await roadmap.http.post("/v1/public/buy-in-survey/open", json={"token": bad})
        assert refused.status_code == 422
        assert (
            words in refused.json()["detail"]
            and "ask the officer who sent it for a new link" in refused.json()["detail"]
        )

    revoked = await roadmap.http.post(
        f"/v1/plans/{plan_id}/buy-in/surveys/{survey['id']}/revoke", headers=roadmap.auth()
    )
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    refused = await roadmap.answer(token)
    assert refused.status_code == 422 and "withdrawn by the officer" in refused.json()["detail"]
    assert (await roadmap.buy_in(plan_id))["surveys"][0]["link_token"] == ""


async def test_answers_take_five_numbers_and_nothing_else_and_bots_are_refused(roadmap: BuyInApp) -> None:
    plan_id = await roadmap.plan()
    token = (await roadmap.open_round(plan_id))["link_token"]
    comment = await roadmap.answer(token, comment="my manager is Jane Doe")
    assert comment.status_code == 422 and "comment" in comment.text
    out_of_scale = await roadmap.answer(token, {**AGREEABLE, "leadership_support": 7})
    assert out_of_scale.status_code == 422 and "leadership_support" in comment.text + out_of_scale.text
    honeypot = await roadmap.answer(token, website="http://spam.example")
    assert honeypot.status_code == 422 and "'website' must be left empty" in honeypot.json()["detail"]
    round_id = (await roadmap.buy_in(plan_id))["surveys"][0]["id"]
    roadmap.settings.survey_min_fill_seconds = 8
    fresh = issue_form_stamp(roadmap.settings, link_id=round_id)
    too_fast = await roadmap.http.post(
        "/v1/public/buy-in-survey/answers", json={"token": token, "form_stamp": fresh, **AGREEABLE}
    )
    assert too_fast.status_code == 422 and "faster than a person fills it" in too_fast.json()["detail"]
    filled = issue_form_stamp(
        roadmap.settings, link_id=round_id, now=datetime.now(UTC) - timedelta(seconds=30)
    )
    taken = await roadmap.http.post(
        "/v1/public/buy-in-survey/answers", json={"token": token, "form_stamp": filled, **AGREEABLE}
    )
    assert taken.status_code == 201, taken.text
    assert (await roadmap.buy_in(plan_id))["surveys"][0]["results"]["responses"] == 1


async def test_a_link_is_rate_limited(roadmap: BuyInApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey_api, "answers_per_link", RateLimit("3/minute", scope="test-buy-in-link"))
    token = (await roadmap.open_round(await roadmap.plan()))["link_token"]
    for _ in range(3):
        assert (await roadmap.answer(token)).status_code == 201
    limited = await roadmap.answer(token)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


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
