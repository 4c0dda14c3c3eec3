"""Officer administration and token checks at intake, over HTTP, on a scratch database.

No broker: intake keeps serving while Kafka is unreachable (its events wait in the outbox),
and these tests read the outbox rather than the topic.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlmodel import select

from services.intake.app import create_app
from services.intake.scoring import load_questionnaire
from services.intake.settings import IntakeSettings
from shared.auth import issue_token, verify_sign_in_token
from shared.outbox import OutboxMessage
from tests.services import tracer_provider
from tests.unit.test_intake_scoring import MIDDLING

ADA = {"name": "Ada Lovelace", "email": "Ada@Example.org"}
Intake = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def intake(tmp_path: Path) -> Intake:
    """An intake app with its lifespan; settings and the caller's address can be chosen per test."""

    @asynccontextmanager
    async def start(client_host: str = "127.0.0.1", **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = IntakeSettings(
            **{
                "environment": "test",
                "database_url": f"sqlite+aiosqlite:///{tmp_path}/intake.db",
                # Nothing listens there: never another engineer's broker on the default port.
                "kafka_bootstrap_servers": "127.0.0.1:9",
                **overrides,
            }
        )
        app = create_app(settings, tracer_provider("intake", None))
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=transport, base_url="http://intake") as http,
        ):
            http.app = app  # type: ignore[attr-defined]
            yield http

    return start


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_officer_is_created_once_and_their_token_works(intake: Intake) -> None:
    async with intake() as http:
        created = await http.post("/v1/officers", json=ADA)
        assert created.status_code == 201, created.text
        issued = created.json()
        assert issued["officer"]["email"] == "ada@example.org"
        me = await http.get("/v1/officers/me", headers=bearer(issued["token"]))
        assert me.json() == {"id": issued["officer"]["id"], "name": "Ada Lovelace", "time_zone": "UTC"}

        again = await http.post("/v1/officers", json=ADA | {"email": "ADA@example.org"})
        assert again.status_code == 409
        assert "faio officer token --email ada@example.org" in again.json()["detail"]

        listed = (await http.get("/v1/officers")).json()
        assert [officer["email"] for officer in listed] == ["ada@example.org"]
        assert issued["token"] not in str(listed)


async def test_a_lost_token_is_replaced_and_revocation_refuses_every_earlier_one(intake: Intake) -> None:
    async with intake() as http:
        first = (await http.post("/v1/officers", json=ADA)).json()["token"]
        second = (await http.post("/v1/officers/tokens", json={"email": "ada@example.org"})).json()["token"]
        for token in (first, second):  # a new token alone revokes nothing
            assert (await http.get("/v1/officers/me", headers=bearer(token))).status_code == 200

        third = await http.post(
            "/v1/officers/tokens", json={"email": "ada@example.org", "revoke_previous": True}
        )
        assert third.status_code == 201
        assert third.json()["officer"]["token_version"] == 2
        for token in (first, second):
            refused = await http.get("/v1/clinics", headers=bearer(token))
            assert refused.status_code == 401
            assert "revoked" in refused.json()["detail"]
        assert (await http.get("/v1/clinics", headers=bearer(third.json()["token"]))).status_code == 200

        revoked = await http.post("/v1/officers/token-revocations", json={"email": "ada@example.org"})
        assert revoked.status_code == 200 and revoked.json()["officer"]["token_version"] == 3
        assert (await http.get("/v1/clinics", headers=bearer(third.json()["token"]))).status_code == 401

        async with http.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
            rows = (await session.exec(select(OutboxMessage))).all()
        assert [row.topic for row in rows] == ["intake.officer.tokens-revoked.v1"] * 2


async def test_a_token_must_name_an_existing_officer_at_an_issued_version(intake: Intake) -> None:
    async with intake() as http:
        officer = (await http.post("/v1/officers", json=ADA)).json()["officer"]
        settings = http.app.state.runtime.settings  # type: ignore[attr-defined]
        cases = {
            "no such officer": issue_token(settings, officer_id="officer-nobody"),
            "an empty subject": issue_token(settings, officer_id=" "),
            "a version never issued": issue_token(settings, officer_id=officer["id"], token_version=7),
        }
        for what, token in cases.items():
            response = await http.get("/v1/officers/me", headers=bearer(token))
            assert response.status_code == 401, what
            assert "faio officer token" in response.json()["detail"], what


async def test_an_unknown_email_says_how_to_create_the_officer(intake: Intake) -> None:
    async with intake() as http:
        for path in ("/v1/officers/tokens", "/v1/officers/token-revocations", "/v1/officers/sign-in-links"):
            response = await http.post(path, json={"email": "nobody@example.org"})
            assert response.status_code == 404, path
            assert "faio officer create" in response.json()["detail"]
        typo = await http.post("/v1/officers/tokens", json={"email": "ada@example.org", "revoke": True})
        assert typo.status_code == 422
        assert typo.json()["detail"][0]["loc"] == ["body", "revoke"]


async def test_a_sign_in_link_points_at_the_portal_and_carries_a_one_time_token(intake: Intake) -> None:
    async with intake(portal_url="https://portal.example.org/") as http:
        officer = (await http.post("/v1/officers", json=ADA)).json()["officer"]
        link = (await http.post("/v1/officers/sign-in-links", json={"email": "ada@example.org"})).json()
        prefix = "https://portal.example.org/sign-in?token="
        assert link["url"].startswith(prefix)
        settings = http.app.state.runtime.settings  # type: ignore[attr-defined]
        signed_in, jti, _ = verify_sign_in_token(settings, link["url"].removeprefix(prefix))
        assert signed_in.id == officer["id"] and jti
        # It is a sign-in token, not a bearer token for the APIs.
        as_bearer = await http.get("/v1/officers/me", headers=bearer(link["url"].removeprefix(prefix)))
        assert as_bearer.status_code == 401
        assert signed_in.token_version == 1
        # After a revocation a link carries the new version: the portal acts at it, not at the first.
        revoked = await http.post("/v1/officers/token-revocations", json={"email": "ada@example.org"})
        assert revoked.status_code == 200
        later = (await http.post("/v1/officers/sign-in-links", json={"email": "ada@example.org"})).json()
        assert verify_sign_in_token(settings, later["url"].removeprefix(prefix))[0].token_version == 2


@pytest.mark.parametrize(
    ("overrides", "client_host", "header", "expected"),
    [
        ({}, "127.0.0.1", None, 201),  # development: open on the machine itself
        ({}, "::1", None, 201),
        ({}, "203.0.113.7", None, 403),  # but not from elsewhere
        (
            {"environment": "production", "secret_key": "s" * 40, "pseudonym_secret": "p" * 40},
            "127.0.0.1",
            None,
            403,
        ),
        ({"admin_secret": "bootstrap-secret"}, "127.0.0.1", None, 403),
        ({"admin_secret": "bootstrap-secret"}, "127.0.0.1", "wrong", 403),
        ({"admin_secret": "bootstrap-secret"}, "203.0.113.7", "bootstrap-secret", 201),
        (
            {
                "admin_secret": "bootstrap-secret",
                "environment": "production",
                "secret_key": "s" * 40,
                "pseudonym_secret": "p" * 40,
            },
            "203.0.113.7",
            "bootstrap-secret",
            201,
        ),
    ],
)
async def test_officer_administration_needs_the_admin_secret_or_a_local_development_caller(
    intake: Intake, overrides: dict[str, Any], client_host: str, header: str | None, expected: int
) -> None:
    headers = {"X-Faio-Admin-Secret": header} if header else {}
    async with intake(client_host, **overrides) as http:
        response = await http.post("/v1/officers", json=ADA, headers=headers)
        assert response.status_code == expected, response.text
        if expected == 403:
            assert "FAIO_ADMIN_SECRET" in response.json()["detail"]
            assert (await http.get("/v1/officers", headers=headers)).status_code == 403


async def test_an_untouched_template_names_each_unanswered_question_once(intake: Intake) -> None:
    questions = load_questionnaire("v1").questions
    async with intake() as http:
        token = (await http.post("/v1/officers", json=ADA)).json()["token"]
        clinic = await http.post("/v1/clinics", json={"name": "A", "specialty": "B"}, headers=bearer(token))
        untouched = {"questionnaire_version": "v1", "answers": dict.fromkeys(q.id for q in questions)}
        response = await http.post(
            f"/v1/clinics/{clinic.json()['id']}/assessments", json=untouched, headers=bearer(token)
        )
    assert response.status_code == 422
    messages = [problem["msg"] for problem in response.json()["detail"]]
    assert messages == [f"question {q.id}: not answered: {q.text}" for q in questions]


async def test_yes_and_no_read_as_booleans_by_yaml_count_as_the_options(intake: Intake) -> None:
    async with intake() as http:
        token = (await http.post("/v1/officers", json=ADA)).json()["token"]
        clinic = await http.post("/v1/clinics", json={"name": "A", "specialty": "B"}, headers=bearer(token))
        path = f"/v1/clinics/{clinic.json()['id']}/assessments"
        as_words = await http.post(
            path, json={"answers": MIDDLING | {"staff_champion": "yes"}}, headers=bearer(token)
        )
        as_yaml = await http.post(
            path, json={"answers": MIDDLING | {"staff_champion": True}}, headers=bearer(token)
        )
        assert as_yaml.status_code == 201, as_yaml.text
        assert as_yaml.json()["answers"]["staff_champion"] == "yes"
        assert as_yaml.json()["dimension_scores"] == as_words.json()["dimension_scores"]
        on_a_scale = await http.post(
            path, json={"answers": MIDDLING | {"lead_decisions": True}}, headers=bearer(token)
        )
        assert on_a_scale.status_code == 422
        assert "whole number" in on_a_scale.json()["detail"][0]["msg"]
