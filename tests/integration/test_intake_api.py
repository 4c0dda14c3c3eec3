"""Intake over HTTP, with its real lifespan (database, migrations, broker, outbox relay).

One intake instance serves this module; every test makes its own officers and clinics so
nothing depends on another test's leftovers.
"""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlmodel import col, select

from services.intake.models import Assessment, Clinic
from shared.outbox import OutboxMessage
from tests.polling import eventually
from tests.services import RunningService, registered_officer, running
from tests.unit.test_intake_scoring import MIDDLING, STRONG, WEAK

CLINIC: dict[str, Any] = {
    "name": "Riverside Family Practice",
    "specialty": "Family medicine",
    "locations": 2,
    "notes": "Two sites; phones overflow on Monday mornings.",
    "staff": [
        {"role": "front desk", "headcount": 3, "hourly_cost": 24.0},
        {"role": "practice manager", "headcount": 1, "hourly_cost": 45.0},
    ],
    "systems": {"EMR": "athenahealth", "phone": "RingCentral", "scheduling": "athenahealth"},
}


@pytest.fixture(scope="module")
async def intake(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningService]:
    data_dir: Path = tmp_path_factory.mktemp("intake-api")
    async with running("intake", kafka=kafka, data_dir=data_dir) as platform:
        yield platform["intake"]


class Officer:
    """A test officer, created at intake: their id and the headers that carry their token."""

    def __init__(self, officer_id: str, token: str) -> None:
        self.id = officer_id
        self.headers = {"Authorization": f"Bearer {token}"}


async def new_officer(intake: RunningService) -> Officer:
    return Officer(*await registered_officer(intake.http))


async def add_clinic(intake: RunningService, officer: Officer, **changes: Any) -> dict[str, Any]:
    response = await intake.http.post("/v1/clinics", json=CLINIC | changes, headers=officer.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def outbox_topics(intake: RunningService, clinic_id: str) -> list[str]:
    async with intake.runtime.sessions() as session:
        rows = await session.exec(
            select(OutboxMessage).where(OutboxMessage.key == clinic_id).order_by(col(OutboxMessage.id))
        )
        return [row.topic for row in rows]


def clinic_endpoints(clinic_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every intake endpoint that addresses one clinic, with a valid body."""
    return [
        ("GET", f"/v1/clinics/{clinic_id}", None),
        ("PATCH", f"/v1/clinics/{clinic_id}", {"notes": "taken over"}),
        ("POST", f"/v1/clinics/{clinic_id}/archive", None),
        ("POST", f"/v1/clinics/{clinic_id}/assessments", {"answers": MIDDLING}),
        ("GET", f"/v1/clinics/{clinic_id}/assessments", None),
        ("POST", f"/v1/clinics/{clinic_id}/purchase-reviews", {"tool": "CallBot"}),
        ("GET", f"/v1/clinics/{clinic_id}/purchase-reviews", None),
    ]


async def test_another_officers_clinic_is_404_on_every_endpoint_and_stays_unchanged(
    intake: RunningService,
) -> None:
    owner, intruder = await new_officer(intake), await new_officer(intake)
    clinic = await add_clinic(intake, owner)

    for method, path, body in clinic_endpoints(clinic["id"]):
        response = await intake.http.request(method, path, json=body, headers=intruder.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert "not found" in response.json()["detail"]

    listed = await intake.http.get("/v1/clinics", headers=intruder.headers)
    assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}

    mine = await intake.http.get(f"/v1/clinics/{clinic['id']}", headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json()["notes"] == CLINIC["notes"] and mine.json()["archived_at"] is None
    assert await outbox_topics(intake, clinic["id"]) == ["intake.clinic.registered.v1"]


def bad_tokens(officer_id: str) -> dict[str, dict[str, str]]:
    expired = jwt.encode(
        {"sub": officer_id, "iss": "faio", "aud": "faio", "exp": 1_000_000_000},
        "faio-development-secret-change-me",
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": officer_id, "iss": "faio", "aud": "faio", "exp": 4_000_000_000},
        "not-our-secret-key-at-all-but-long-enough",
        algorithm="HS256",
    )
    return {
        "no token": {},
        "not a jwt": {"Authorization": "Bearer not-a-token"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "signed with another key": {"Authorization": f"Bearer {forged}"},
        "basic auth": {"Authorization": "Basic dXNlcjpwYXNz"},
    }


async def test_no_token_or_a_bad_one_is_401_on_every_endpoint(intake: RunningService) -> None:
    owner = await new_officer(intake)
    clinic = await add_clinic(intake, owner)
    endpoints = [
        *clinic_endpoints(clinic["id"]),
        ("POST", "/v1/clinics", CLINIC),
        ("GET", "/v1/clinics", None),
        ("GET", "/v1/assessment/questionnaire", None),
        ("GET", "/v1/officers/me", None),
    ]
    for what, headers in bad_tokens(owner.id).items():
        for method, path, body in endpoints:
            response = await intake.http.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (what, method, path, response.text)
            assert "faio officer create" in response.json()["detail"]

    assert await outbox_topics(intake, clinic["id"]) == ["intake.clinic.registered.v1"]


async def test_the_token_names_the_officer(intake: RunningService) -> None:
    officer = await new_officer(intake)
    response = await intake.http.get("/v1/officers/me", headers=officer.headers)
    assert response.json() == {"id": officer.id, "name": "Test Officer", "time_zone": "UTC"}


async def test_a_registered_clinic_belongs_to_the_officer_and_goes_out_with_staff_costs(
    intake: RunningService,
) -> None:
    officer = await new_officer(intake)
    clinic = await add_clinic(intake, officer)
    assert clinic["officer_id"] == officer.id
    assert clinic["systems"] == {"emr": "athenahealth", "phone": "RingCentral", "scheduling": "athenahealth"}
    assert clinic["readiness_level"] is None

    async with intake.runtime.sessions() as session:
        row = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == clinic["id"]))).one()
    event = httpx.Response(200, content=row.payload).json()
    assert event["officer_id"] == officer.id
    assert event["staff"] == CLINIC["staff"]


async def test_bad_answers_are_422_naming_the_question_and_nothing_is_stored(intake: RunningService) -> None:
    officer = await new_officer(intake)
    clinic = await add_clinic(intake, officer)
    path = f"/v1/clinics/{clinic['id']}/assessments"
    incomplete = {key: value for key, value in MIDDLING.items() if key != "comp_baa"}

    cases = {
        "lead_vibes": MIDDLING | {"lead_vibes": 2},
        "lead_decisions": MIDDLING | {"lead_decisions": 9},
        "lead_sponsor": MIDDLING | {"lead_sponsor": "the cat"},
        "comp_baa": incomplete,
    }
    for question_id, answers in cases.items():
        response = await intake.http.post(path, json={"answers": answers}, headers=officer.headers)
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "answers", question_id]
        assert question_id in error["msg"]

    unknown_version = await intake.http.post(
        path, json={"answers": MIDDLING, "questionnaire_version": "v99"}, headers=officer.headers
    )
    assert unknown_version.status_code == 422
    assert unknown_version.json()["detail"].startswith("questionnaire_version: no questionnaire version")

    assert (await intake.http.get(path, headers=officer.headers)).json() == []
    async with intake.runtime.sessions() as session:
        stored = await session.exec(
            select(Assessment).where(col(Assessment.clinic_id) == uuid.UUID(clinic["id"]))
        )
        assert stored.all() == []
        assert (await session.get(Clinic, uuid.UUID(clinic["id"]))).readiness_level is None  # type: ignore[union-attr]
    assert await outbox_topics(intake, clinic["id"]) == ["intake.clinic.registered.v1"]


async def test_reassessments_keep_history_oldest_first(intake: RunningService) -> None:
    officer = await new_officer(intake)
    clinic = await add_clinic(intake, officer)
    path = f"/v1/clinics/{clinic['id']}/assessments"

    first = await intake.http.post(path, json={"answers": WEAK}, headers=officer.headers)
    assert first.status_code == 201, first.text
    assert first.json()["overall_score"] == 17.9
    assert first.json()["level"] == "not_ready"
    assert first.json()["change_from_previous"] is None
    assert [gap["dimension"] for gap in first.json()["top_gaps"]] == [
        "measurement",
        "compliance",
        "leadership",
    ]

    second = await intake.http.post(
        path, json={"answers": MIDDLING, "questionnaire_version": "v1"}, headers=officer.headers
    )
    assert second.json()["overall_score"] == 52.4
    assert second.json()["change_from_previous"] == 34.5  # 52.4 - 17.9

    history = (await intake.http.get(path, headers=officer.headers)).json()
    assert [(a["overall_score"], a["level"], a["change_from_previous"]) for a in history] == [
        (17.9, "not_ready", None),
        (52.4, "foundational", 34.5),
    ]
    clinic_now = (await intake.http.get(f"/v1/clinics/{clinic['id']}", headers=officer.headers)).json()
    assert (clinic_now["readiness_level"], clinic_now["readiness_score"]) == ("foundational", 52.4)


async def test_clinic_list_pages_and_filters(intake: RunningService) -> None:
    officer = await new_officer(intake)
    names = [
        "Birch Pediatrics",
        "Alder Dermatology",
        "Cedar Pediatrics",
        "Elm Cardiology",
        "Dogwood Pediatrics",
    ]
    clinics = {}
    for name in names:
        specialty = name.split()[1]
        clinics[name] = await add_clinic(
            intake, officer, name=name, specialty=specialty, notes=f"{name} notes"
        )
    someone_else = await new_officer(intake)
    await add_clinic(intake, someone_else, name="Birch Pediatrics (someone else's)", specialty="Pediatrics")

    async def page(**params: Any) -> dict[str, Any]:
        response = await intake.http.get("/v1/clinics", params=params, headers=officer.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def names_of(body: dict[str, Any]) -> list[str]:
        return [item["name"] for item in body["items"]]

    first = await page(limit=2)
    assert (names_of(first), first["total"]) == (["Alder Dermatology", "Birch Pediatrics"], 5)
    second = await page(limit=2, offset=2)
    assert names_of(second) == ["Cedar Pediatrics", "Dogwood Pediatrics"]
    assert names_of(await page(limit=2, offset=4)) == ["Elm Cardiology"]

    pediatrics = await page(specialty="pediatrics")
    assert (names_of(pediatrics), pediatrics["total"]) == (
        ["Birch Pediatrics", "Cedar Pediatrics", "Dogwood Pediatrics"],
        3,
    )
    assert names_of(await page(q="CEDAR")) == ["Cedar Pediatrics"]
    assert names_of(await page(q="cardiology NOTES")) == ["Elm Cardiology"]
    assert (await page(q="100%_"))["total"] == 0  # LIKE wildcards are text, not patterns

    for name, answers in (
        ("Birch Pediatrics", STRONG),
        ("Elm Cardiology", STRONG),
        ("Cedar Pediatrics", WEAK),
    ):
        response = await intake.http.post(
            f"/v1/clinics/{clinics[name]['id']}/assessments",
            json={"answers": answers},
            headers=officer.headers,
        )
        assert response.status_code == 201, response.text
    assert names_of(await page(level="advanced")) == ["Birch Pediatrics", "Elm Cardiology"]
    assert names_of(await page(level="advanced", specialty="Pediatrics")) == ["Birch Pediatrics"]
    assert names_of(await page(level="not_ready")) == ["Cedar Pediatrics"]
    assert (await intake.http.get("/v1/clinics?level=amazing", headers=officer.headers)).status_code == 422
    assert (await intake.http.get("/v1/clinics?limit=0", headers=officer.headers)).status_code == 422

    archived = await intake.http.post(
        f"/v1/clinics/{clinics['Elm Cardiology']['id']}/archive", headers=officer.headers
    )
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    assert names_of(await page(level="advanced")) == ["Birch Pediatrics"]
    assert (await page())["total"] == 4
    assert (await page(include_archived=True))["total"] == 5


async def test_update_and_archive_go_out_through_the_outbox(intake: RunningService) -> None:
    officer = await new_officer(intake)
    clinic = await add_clinic(intake, officer)
    path = f"/v1/clinics/{clinic['id']}"

    updated = await intake.http.patch(
        path,
        json={"locations": 3, "systems": {"emr": "Epic", "messaging": "Klara"}, "notes": CLINIC["notes"]},
        headers=officer.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["locations"] == 3
    assert updated.json()["systems"] == {"emr": "Epic", "messaging": "Klara"}
    assert updated.json()["updated_at"] is not None

    unchanged = await intake.http.patch(path, json={"locations": 3}, headers=officer.headers)
    assert unchanged.status_code == 200  # nothing changed, so no second event below
    refused = await intake.http.patch(path, json={"officer_id": "someone-else"}, headers=officer.headers)
    assert refused.status_code == 422

    assert (await intake.http.post(f"{path}/archive", headers=officer.headers)).status_code == 200
    assert (await intake.http.post(f"{path}/archive", headers=officer.headers)).status_code == 200
    assert (await intake.http.patch(path, json={"locations": 4}, headers=officer.headers)).status_code == 409
    assessment = await intake.http.post(
        f"{path}/assessments", json={"answers": MIDDLING}, headers=officer.headers
    )
    assert assessment.status_code == 409

    assert await outbox_topics(intake, clinic["id"]) == [
        "intake.clinic.registered.v1",
        "intake.clinic.updated.v1",
        "intake.clinic.archived.v1",
    ]
    async with intake.runtime.sessions() as session:
        update_row = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.key == clinic["id"], OutboxMessage.topic == "intake.clinic.updated.v1"
                )
            )
        ).one()
    event = httpx.Response(200, content=update_row.payload).json()
    assert sorted(event["changed"]) == ["locations", "systems"]
    assert event["staff"] == CLINIC["staff"]

    async def all_published() -> bool:
        async with intake.runtime.sessions() as session:
            rows = await session.exec(select(OutboxMessage).where(OutboxMessage.key == clinic["id"]))
            return all(row.published_at is not None for row in rows)

    await eventually(all_published, what="the relay to publish the clinic's events to Kafka")


async def test_purchase_review_checks_the_five_questions_against_the_clinic(intake: RunningService) -> None:
    officer = await new_officer(intake)
    clinic = await add_clinic(intake, officer)
    path = f"/v1/clinics/{clinic['id']}/purchase-reviews"
    review = {
        "tool": "CallBot",
        "problem": "Front desk misses a third of incoming calls on Monday mornings",
        "current_cost": {"hours_per_week": 12, "cost_per_week": 288},
        "owner_role": "practice manager",
        "owner_id": "ma-12",
        "success_measure": {"kpi": "missed calls per week", "baseline": 120, "target": 60},
        "integrates_with": {"phone": ["RingCentral"]},
    }

    ready = await intake.http.post(path, json=review, headers=officer.headers)
    assert ready.status_code == 201, ready.text
    assert ready.json()["verdict"] == "ready_to_buy"

    not_yet = await intake.http.post(
        path, json=review | {"integrates_with": {"emr": ["Epic"]}, "owner_role": ""}, headers=officer.headers
    )
    assert not_yet.json()["verdict"] == "not_yet"
    weak = {f["question"]: f["reason"] for f in not_yet.json()["findings"] if f["status"] != "strong"}
    assert set(weak) == {"owner", "integration"}
    assert "athenahealth" in weak["integration"]

    history = (await intake.http.get(path, headers=officer.headers)).json()
    assert [r["verdict"] for r in history] == ["ready_to_buy", "not_yet"]


async def test_the_questionnaire_is_served_as_versioned_data(intake: RunningService) -> None:
    officer = await new_officer(intake)
    response = await intake.http.get("/v1/assessment/questionnaire", headers=officer.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "v1"
    assert {question["id"] for question in body["questions"]} == set(MIDDLING)
    assert {d["id"] for d in body["dimensions"]} >= {"compliance", "budget", "measurement"}
    missing = await intake.http.get("/v1/assessment/questionnaire?version=v0", headers=officer.headers)
    assert missing.status_code == 404 and "available: v1" in missing.json()["detail"]


async def test_the_events_intake_sends_are_documented(intake: RunningService) -> None:
    spec = (await intake.http.get("/asyncapi.json")).json()
    documented = {channel.split(":")[0] for channel in spec["channels"]}
    assert documented == {
        "intake.clinic.registered.v1",
        "intake.clinic.updated.v1",
        "intake.clinic.archived.v1",
        "intake.assessment.completed.v1",
        "intake.officer.tokens-revoked.v1",
    }
