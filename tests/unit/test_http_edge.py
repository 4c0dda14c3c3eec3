"""The HTTP edge every service shares: 413 before a large body is read, 415 for a JSON route
given something else, 400 for JSON nested too deeply, 422 bodies that always render, and the
browser headers (the portal's pages: tests/unit/test_portal_pages.py)."""

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.auth import issue_token
from shared.http_edge import ASYNCAPI_POLICY, DOCS_POLICY, page_policy_with_styles_of
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


async def test_every_answer_says_nosniff_and_same_origin_and_json_needs_no_page_policy(
    intake: httpx.AsyncClient,
) -> None:
    answer = await intake.get("/v1/clinics")
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in answer.headers


@pytest.mark.parametrize(
    ("path", "expected"), [("/docs", DOCS_POLICY), ("/redoc", DOCS_POLICY), ("/asyncapi", ASYNCAPI_POLICY)]
)
async def test_docs_pages_run_their_inline_start_but_only_from_this_origin_and_never_framed(
    intake: httpx.AsyncClient, path: str, expected: str
) -> None:
    page = await intake.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy == expected
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy  # no CDN: the docs' files are the service's own
    assert page.headers["cache-control"] == "no-store"


def test_a_page_another_service_wrote_keeps_its_style_elements_by_hash_and_no_script() -> None:
    html = "<html><style>h1 { color: red; }</style><script>alert(1)</script><h1>Close-out</h1></html>"
    policy = page_policy_with_styles_of(html)
    digest = base64.b64encode(hashlib.sha256(b"h1 { color: red; }").digest()).decode()
    assert policy.endswith(f"style-src 'self' 'sha256-{digest}'")
    assert "script-src" not in policy and "unsafe-inline" not in policy  # scripts: 'self' only
    assert "frame-ancestors 'none'" in policy
