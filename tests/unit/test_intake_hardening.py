"""Inputs the fuzzer (tests/fuzz) found or the hardening issue names: each is a clear 4xx, never a 500."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.services import registered_officer, tracer_provider

CLINIC = {"name": "Hillcrest Dermatology", "specialty": "dermatology", "locations": 1}


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing there: events wait in the outbox
    )
    app = create_app(settings, tracer_provider("intake", None))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client,
    ):
        _, token = await registered_officer(client)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _fields(response: httpx.Response) -> list[object]:
    return [problem["loc"][-1] for problem in response.json()["detail"]]


async def test_a_page_offset_past_64_bit_integers_is_refused_not_a_500(intake: httpx.AsyncClient) -> None:
    # Found by the fuzzer: SQLite cannot hold the offset, and the query raised OverflowError.
    response = await intake.get("/v1/clinics", params={"offset": 2**63})
    assert response.status_code == 422, response.text
    assert _fields(response) == ["offset"]


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400"])
async def test_purchase_review_numbers_must_be_finite(intake: httpx.AsyncClient, number: str) -> None:
    clinic = (await intake.post("/v1/clinics", json=CLINIC)).json()
    body = '{"tool": "scribe", "current_cost": {"hours_per_week": NUMBER}}'.replace("NUMBER", number)
    response = await intake.post(
        f"/v1/clinics/{clinic['id']}/purchase-reviews",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "hours_per_week" in _fields(response)


@pytest.mark.parametrize("owner", ["Jane Doe, MD", "Jane.Doe", "Maria Lopez"])
async def test_a_purchase_review_owner_is_a_pseudonym_never_a_name(
    intake: httpx.AsyncClient, owner: str
) -> None:
    clinic = (await intake.post("/v1/clinics", json=CLINIC)).json()
    response = await intake.post(
        f"/v1/clinics/{clinic['id']}/purchase-reviews", json={"tool": "scribe", "owner_id": owner}
    )
    assert response.status_code == 422, response.text
    assert _fields(response) == ["owner_id"]
    assert "ma-12" in response.json()["detail"][0]["msg"]


async def test_the_old_owner_name_field_says_what_to_send_instead(intake: httpx.AsyncClient) -> None:
    clinic = (await intake.post("/v1/clinics", json=CLINIC)).json()
    response = await intake.post(
        f"/v1/clinics/{clinic['id']}/purchase-reviews", json={"tool": "scribe", "owner_name": "Dana"}
    )
    assert response.status_code == 422, response.text
    assert "give owner_id" in response.text


async def test_clinic_systems_and_staff_are_bounded_like_the_clinic_events(intake: httpx.AsyncClient) -> None:
    """The issue's stalled outbox: 50,000 systems made an event over the broker's limit."""
    many_systems = {f"kind-{n}": "vendor" for n in range(21)}
    many_roles = [{"role": f"role {n}", "headcount": 1, "hourly_cost": 20} for n in range(31)]
    long_vendor = {"emr": "v" * 101}
    for body, field in ((many_systems, "systems"), (long_vendor, "emr"), (many_roles, "staff")):
        key = "staff" if field == "staff" else "systems"
        response = await intake.post("/v1/clinics", json=CLINIC | {key: body})
        assert response.status_code == 422, response.text
        assert field in _fields(response)
        clinic = (await intake.post("/v1/clinics", json=CLINIC)).json()
        patched = await intake.patch(f"/v1/clinics/{clinic['id']}", json={key: body})
        assert patched.status_code == 422, patched.text


async def test_a_nan_that_fails_validation_still_gets_a_readable_422(intake: httpx.AsyncClient) -> None:
    body = '{"name": "x", "specialty": "y", "staff": [{"role": "ma", "headcount": 1, "hourly_cost": NaN}]}'
    response = await intake.post("/v1/clinics", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert "hourly_cost" in _fields(response)


@pytest.mark.parametrize(
    "name",
    ["Harbor Ortho\r\nBcc: everyone@example.org", "Harbor\x00", "\x1b[2JHarbor", "Harbor \u202egpj.exe"],
)
async def test_a_name_with_a_control_character_is_a_422_naming_the_field(
    intake: httpx.AsyncClient, name: str
) -> None:
    created = await intake.post("/v1/clinics", json={**CLINIC, "name": name})
    assert created.status_code == 422, created.text
    assert _fields(created) == ["name"]
    assert "control character" in created.json()["detail"][0]["msg"]
    clinic = (await intake.post("/v1/clinics", json=CLINIC)).json()
    renamed = await intake.patch(f"/v1/clinics/{clinic['id']}", json={"specialty": name})
    assert renamed.status_code == 422 and _fields(renamed) == ["specialty"]
    officer = await intake.post("/v1/officers", json={"name": name, "email": "poisoned@example.org"})
    assert officer.status_code == 422 and _fields(officer) == ["name"]


async def test_names_in_any_script_are_accepted(intake: httpx.AsyncClient) -> None:
    name = "Clínica São José \u2013 Zoë · 北京诊所 · עיר"
    created = await intake.post("/v1/clinics", json={**CLINIC, "name": name})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
