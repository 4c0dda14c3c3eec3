"""The prospect's self-serve assessment at intake: invites, the public short form, leads, conversion."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import select

from services.intake.app import create_app
from services.intake.prospects import service as prospects
from services.intake.settings import IntakeSettings
from shared.outbox import OutboxMessage
from shared.public_links import LINK_HEADER, LinkPurpose, issue_form_stamp, issue_link
from tests.services import registered_officer, tracer_provider

PRACTICE = "Quietbrook Family Medicine"
EMAIL = "owner@quietbrook.example"


@dataclass
class Intake:
    client: httpx.AsyncClient
    settings: IntakeSettings
    spans: InMemorySpanExporter
    app: Any


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    settings = IntakeSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing there: events wait in the outbox
        portal_url="http://portal.example",
    )
    spans = InMemorySpanExporter()
    app = create_app(settings, tracer_provider("intake", spans))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client,
    ):
        _, token = await registered_officer(client)
        client.headers["Authorization"] = f"Bearer {token}"
        yield Intake(client, settings, spans, app)


def short_form_answers(points: str = "high") -> dict[str, int | str]:
    """Answers to the short form: the best option everywhere, or the worst."""
    answers: dict[str, int | str] = {}
    for question in prospects.short_form().questions:
        if question.type == "scale":
            answers[question.id] = 4 if points == "high" else 0
        else:
            best = max(question.options, key=lambda option: option.points)
            worst = min(question.options, key=lambda option: option.points)
            answers[question.id] = (best if points == "high" else worst).id
    return answers


async def invite(intake: Intake, **body: Any) -> dict[str, Any]:
    response = await intake.client.post(
        "/v1/prospect-invites", json={"label": "met at the conference", **body}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def stamp_for(intake: Intake, link: dict[str, Any], seconds_ago: float = 60) -> str:
    shown = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return issue_form_stamp(intake.settings, link_id=link["id"], now=shown)


async def submit(intake: Intake, link: dict[str, Any], **body: Any) -> httpx.Response:
    payload = {"answers": short_form_answers("low"), "form_stamp": stamp_for(intake, link), **body}
    # The public form carries no officer token: only the link.
    return await intake.client.post(
        "/v1/public/prospect-form",
        json=payload,
        headers={LINK_HEADER: link["token"], "Authorization": ""},
    )


def test_the_short_form_has_at_most_twelve_questions_and_covers_every_dimension() -> None:
    form = prospects.short_form()
    assert len(form.questions) <= 12
    assert {question.dimension for question in form.questions} == {d.id for d in form.dimensions}
    assert set(prospects.SHORT_FORM) == {question.id for question in form.questions}


def test_three_next_steps_even_for_a_practice_with_no_gaps() -> None:
    result = prospects.score_short_form(short_form_answers("high"))
    assert result.overall_score == 100
    assert len(prospects.next_steps(result)) == 3


async def test_a_prospect_answers_without_an_account_and_sees_scores_and_three_next_steps(
    intake: Intake,
) -> None:
    link = await invite(intake)
    assert link["url"] == f"http://portal.example/p/{link['token']}"
    form = await intake.client.get(
        "/v1/public/prospect-form", headers={LINK_HEADER: link["token"], "Authorization": ""}
    )
    assert form.status_code == 200, form.text
    assert len(form.json()["questions"]) <= 12 and form.json()["minutes"] == 5

    answer = await submit(intake, link)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert {score["dimension"] for score in result["scores"]} == {d["dimension"] for d in result["scores"]}
    assert len(result["scores"]) == 7 and len(result["next_steps"]) == 3
    assert result["level"] == "not_ready" and result["contact_kept"] is False


async def test_contact_details_are_kept_only_with_consent(intake: Intake) -> None:
    link = await invite(intake)
    contact = {"practice_name": PRACTICE, "email": EMAIL}
    refused = await submit(intake, link, contact=contact)
    assert refused.status_code == 422
    assert "consent" in refused.text and "tick" in refused.text

    kept = await submit(intake, link, contact=contact, consent=True)
    assert kept.status_code == 201 and kept.json()["contact_kept"] is True
    anonymous = await submit(intake, link)
    assert anonymous.status_code == 201

    leads = (await intake.client.get("/v1/prospects")).json()
    by_id = {lead["id"]: lead for lead in leads}
    assert by_id[kept.json()["lead_id"]]["practice_name"] == PRACTICE
    assert by_id[anonymous.json()["lead_id"]]["practice_name"] == ""
    assert by_id[anonymous.json()["lead_id"]]["email"] == ""
    assert all(lead["invite_label"] == "met at the conference" for lead in leads)


async def test_expired_revoked_and_forged_links_are_refused_saying_ask_for_a_new_link(intake: Intake) -> None:
    link = await invite(intake)
    expired = issue_link(
        intake.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=link["id"],
        subject_id="whoever",
        expires_at=datetime.now(UTC) - timedelta(seconds=5),
    )
    forged = link["token"][:-4] + "abcd"
    task_log = issue_link(
        intake.settings,
        purpose=LinkPurpose.TASK_LOG,
        link_id=link["id"],
        subject_id="x",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    revoke = await intake.client.post(f"/v1/prospect-invites/{link['id']}/revoke")
    assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    for token, words in (
        (expired, "expired"),
        (forged, "not one faio made"),
        (task_log, "not one faio made"),
        ("", "not one faio made"),
        (link["token"], "withdrawn"),
    ):
        answer = await intake.client.get("/v1/public/prospect-form", headers={LINK_HEADER: token})
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"] and "ask the officer" in answer.json()["detail"]
    assert (await submit(intake, link)).status_code == 422


async def test_a_practice_name_with_escape_nul_or_a_bidi_override_is_refused(intake: Intake) -> None:
    link = await invite(intake)
    for name in ("\x1b]0;owned\x07Quietbrook", "Quiet\x00brook", "Quietbrook \u202etxt.exe"):
        refused = await submit(intake, link, contact={"practice_name": name}, consent=True)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "contact", "practice_name"]
    label = await intake.client.post("/v1/prospect-invites", json={"label": "met\r\nthere"})
    assert label.status_code == 422 and label.json()["detail"][0]["loc"] == ["body", "label"]


async def test_bots_are_refused_by_the_honeypot_and_the_fill_time(intake: Intake) -> None:
    link = await invite(intake)
    honeypot = await submit(intake, link, website="http://cheap-pills.example")
    assert honeypot.status_code == 422 and "'website'" in honeypot.text
    too_fast = await submit(intake, link, form_stamp=stamp_for(intake, link, seconds_ago=2))
    assert too_fast.status_code == 422 and "faster than a person" in too_fast.text
    no_stamp = await submit(intake, link, form_stamp="")
    assert no_stamp.status_code == 422 and "form_stamp" in no_stamp.text
    assert (await intake.client.get("/v1/prospects")).json() == []


async def test_a_missing_or_unknown_answer_is_named(intake: Intake) -> None:
    link = await invite(intake)
    answers = short_form_answers()
    del answers["comp_baa"]
    answers["lead_decisions"] = 3  # a long-form question, not on the short form
    answer = await submit(intake, link, answers=answers)
    assert answer.status_code == 422
    named = {problem["loc"][-1] for problem in answer.json()["detail"]}
    assert named == {"comp_baa", "lead_decisions"}


async def test_one_link_takes_a_bounded_number_of_answers(intake: Intake) -> None:
    link = await invite(intake)
    statuses = [(await submit(intake, link)).status_code for _ in range(21)]
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429


async def test_a_lead_becomes_a_clinic_in_one_action_and_its_answers_begin_the_full_assessment(
    intake: Intake,
) -> None:
    link = await invite(intake)
    lead_id = (
        await submit(
            intake,
            link,
            answers=short_form_answers("high"),
            consent=True,
            contact={"practice_name": PRACTICE},
        )
    ).json()["lead_id"]
    converted = await intake.client.post(
        f"/v1/prospects/{lead_id}/convert", json={"specialty": "family medicine"}
    )
    assert converted.status_code == 201, converted.text
    clinic = converted.json()
    assert clinic["name"] == PRACTICE

    draft = (await intake.client.get(f"/v1/clinics/{clinic['id']}/assessment-draft")).json()
    assert draft["answers"] == short_form_answers("high")
    assert set(draft["missing"]).isdisjoint(draft["answers"]) and len(draft["missing"]) >= 9

    again = await intake.client.post(f"/v1/prospects/{lead_id}/convert")
    assert again.status_code == 409
    assert (await intake.client.get("/v1/prospects")).json() == []
    listed = (await intake.client.get("/v1/prospects", params={"include_converted": True})).json()
    assert listed[0]["clinic_id"] == clinic["id"]


async def test_a_lead_without_a_practice_name_asks_for_one_at_conversion(intake: Intake) -> None:
    link = await invite(intake)
    lead_id = (await submit(intake, link)).json()["lead_id"]
    refused = await intake.client.post(f"/v1/prospects/{lead_id}/convert")
    assert refused.status_code == 422 and "name" in refused.json()["detail"]
    named = await intake.client.post(f"/v1/prospects/{lead_id}/convert", json={"name": "Clinic 7"})
    assert named.status_code == 201


async def test_another_officer_sees_none_of_it(intake: Intake) -> None:
    link = await invite(intake)
    lead_id = (await submit(intake, link)).json()["lead_id"]
    _, other = await registered_officer(intake.client)
    as_other = {"Authorization": f"Bearer {other}"}
    assert (await intake.client.get("/v1/prospects", headers=as_other)).json() == []
    assert (await intake.client.get("/v1/prospect-invites", headers=as_other)).json() == []
    assert (await intake.client.post(f"/v1/prospects/{lead_id}/convert", headers=as_other)).status_code == 404
    assert (
        await intake.client.post(f"/v1/prospect-invites/{link['id']}/revoke", headers=as_other)
    ).status_code == 404


async def test_what_a_prospect_types_reaches_no_event_and_no_span(intake: Intake) -> None:
    link = await invite(intake)
    contact = {
        "practice_name": PRACTICE,
        "contact_name": "Robin Example",
        "email": EMAIL,
        "phone": "555 0101",
    }
    lead_id = (await submit(intake, link, consent=True, contact=contact)).json()["lead_id"]
    await intake.client.post(f"/v1/prospects/{lead_id}/convert", json={"name": "Clinic 9"})

    typed = [PRACTICE, "Robin Example", EMAIL, "555 0101", link["token"]]
    for span in intake.spans.get_finished_spans():
        text = json.dumps({"name": span.name, "attributes": dict(span.attributes or {})}, default=str)
        assert not [value for value in typed if value in text], span.name
    async with intake.app.state.runtime.sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert rows  # the conversion's clinic.registered event
    for row in rows:
        assert not [value for value in typed if value.encode() in row.payload], row.topic
