"""The HTTP edge every service shares: 413 before a large body is read, 415 for a JSON route
given something else, 400 for JSON nested too deeply, and 422 bodies that always render."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.auth import issue_token
from tests.services import registered_officer, tracer_provider

LIMIT = 4096
VALID = b'{"name": "Hillcrest Dermatology", "specialty": "dermatology", "locations": 1}'


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db", max_request_bytes=LIMIT
    )
    app = create_app(settings, tracer_provider("intake", None))
    async with (
        LifespanManager(app),  # migrations: the officer behind the token must exist
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://intake",
            headers={"content-type": "application/json"},
        ) as client,
    ):
        _, token = await registered_officer(client)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(intake: httpx.AsyncClient) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        read += 1
        yield b"x" * (LIMIT + 1)

    response = await intake.post("/v1/clinics", content=body(), headers={"content-length": str(LIMIT + 1)})
    assert response.status_code == 413
    assert f"larger than {LIMIT} bytes" in response.json()["detail"]
    assert read == 0


async def test_a_streamed_body_over_the_limit_is_refused(intake: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * (LIMIT // 2)

    response = await intake.post("/v1/clinics", content=chunks())
    assert response.status_code == 413


async def test_a_json_route_refuses_another_content_type_saying_what_to_send(
    intake: httpx.AsyncClient,
) -> None:
    response = await intake.post("/v1/clinics", content=VALID, headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    missing = await intake.post("/v1/clinics", content=VALID, headers={"content-type": ""})
    assert missing.status_code == 415


async def test_json_nested_too_deeply_is_a_400(tmp_path: Path) -> None:
    settings = IntakeSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    app = create_app(settings, tracer_provider("intake", None))
    token = issue_token(settings, officer_id="officer-edge")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        response = await client.post(
            "/v1/clinics",
            content=b"[" * 200_000 + b"]" * 200_000,
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_a_422_for_a_non_finite_number_renders(intake: httpx.AsyncClient) -> None:
    body = b'{"name": "A", "specialty": "b", "locations": NaN}'
    response = await intake.post("/v1/clinics", content=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "locations"]
