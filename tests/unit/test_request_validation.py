"""Bad HTTP input gets a 422 that names the field (no broker needed: it fails before any event)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.services import registered_officer, tracer_provider

VALID = {"name": "Hillcrest Dermatology", "specialty": "dermatology", "locations": 1}


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing there: no broker is needed
    )
    app = create_app(settings, tracer_provider("intake", None))
    # Intake checks that a token's officer exists: the lifespan migrates, then the officer is created.
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client,
    ):
        _, token = await registered_officer(client)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def test_a_missing_field_is_named(intake: httpx.AsyncClient) -> None:
    body = {key: value for key, value in VALID.items() if key != "name"}
    response = await intake.post("/v1/clinics", json=body)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [(problem["loc"], problem["type"]) for problem in problems] == [(["body", "name"], "missing")]


async def test_an_unknown_field_is_named(intake: httpx.AsyncClient) -> None:
    response = await intake.post("/v1/clinics", json=VALID | {"patient_name": "Jane Doe"})
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [(problem["loc"], problem["type"]) for problem in problems] == [
        (["body", "patient_name"], "extra_forbidden")
    ]
