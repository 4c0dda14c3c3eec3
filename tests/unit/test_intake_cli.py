"""`faio officer|clinic|assessment ...` against a stand-in intake: what is sent, what a person reads."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli import client
from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

ISSUED: dict[str, Any] = {
    "officer": {
        "id": "3253622a-2ab9-4071-85b3-f06b41d57fb4",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "created_at": "2026-11-27T10:00:00Z",
        "token_version": 1,
    },
    "token": "eyJhbGciOiJIUzI1NiJ9." + "x" * 300 + ".signature",
    "expires_at": "2027-11-27T10:00:00Z",
}
CLINIC: dict[str, Any] = {
    "id": "4201c2fd-2f77-467a-a64e-4b1612ab2699",
    "name": "Riverside Family Practice",
    "specialty": "family medicine",
    "locations": 2,
    "notes": "",
    "officer_id": ISSUED["officer"]["id"],
    "staff": [{"role": "front desk", "headcount": 3, "hourly_cost": 24.0}],
    "systems": {"emr": "athenahealth", "phone": "RingCentral"},
    "created_at": "2026-11-27T10:00:00Z",
    "updated_at": None,
    "archived_at": None,
    "readiness_level": None,
    "readiness_score": None,
}


def test_officer_create_prints_the_token_whole_and_sends_the_admin_secret(services: FakeServices) -> None:
    services.answer("POST", "/v1/officers", 201, ISSUED)

    result = faio(
        "officer", "create", "--name", "Ada Lovelace", "--email", "ada@example.org",
        token=None, FAIO_ADMIN_SECRET="bootstrap",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert f"token: {ISSUED['token']}" in result.stdout.splitlines()
    assert f"officer id: {ISSUED['officer']['id']}" in result.stdout.splitlines()
    request = services.sent("POST", "/v1/officers")
    assert request.headers["x-faio-admin-secret"] == "bootstrap"
    assert "authorization" not in request.headers
    assert services.body("POST", "/v1/officers") == {"name": "Ada Lovelace", "email": "ada@example.org"}
    assert str(request.url).startswith("http://127.0.0.1:8001/")  # intake's local port by default


def test_every_answer_is_json_for_scripts(services: FakeServices) -> None:
    services.answer("POST", "/v1/officers/tokens", 201, ISSUED)
    result = faio("officer", "token", "--email", "ada@example.org", "--revoke-previous", "--json", token=None)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ISSUED
    assert services.body("POST", "/v1/officers/tokens") == {
        "email": "ada@example.org",
        "revoke_previous": True,
    }


def test_login_prints_the_portal_sign_in_url_whole(services: FakeServices) -> None:
    url = "http://127.0.0.1:8005/sign-in?token=" + "y" * 400
    services.answer(
        "POST",
        "/v1/officers/sign-in-links",
        201,
        {"officer_id": "o", "url": url, "expires_at": "2026-11-27T10:15:00Z"},
    )
    result = faio("officer", "login", "--email", "ada@example.org", token=None)
    assert result.exit_code == 0, result.output
    assert f"sign-in url: {url}" in result.stdout.splitlines()


def test_a_refusal_of_the_service_is_shown_with_what_to_do(services: FakeServices) -> None:
    detail = (
        "an officer with email ada@example.org already exists; "
        "get them a new token with `faio officer token --email ada@example.org`"
    )
    services.answer("POST", "/v1/officers", 409, {"detail": detail})
    result = faio("officer", "create", "--name", "Ada", "--email", "ada@example.org", token=None)
    assert result.exit_code == 1
    assert detail in result.stderr.replace("\n", " ")


def test_a_422_names_each_field_on_its_own_line_and_exits_2(services: FakeServices) -> None:
    problems = [
        {
            "loc": ["body", "staff", 0, "hourly_cost"],
            "msg": "Input should be greater than or equal to 0",
            "type": "x",
        },
        {"loc": ["body", "name"], "msg": "String should have at least 1 character", "type": "y"},
    ]
    services.answer("POST", "/v1/clinics", 422, {"detail": problems})
    result = faio("clinic", "add", "--name", " ", "--specialty", "x", "--staff", "front desk:3:-1")
    assert result.exit_code == 2
    assert "  staff.0.hourly_cost: Input should be greater than or equal to 0" in result.stderr
    assert "  name: String should have at least 1 character" in result.stderr
    assert "fix what is named" in result.stderr


def test_no_token_says_how_to_get_one_before_anything_is_sent(services: FakeServices) -> None:
    result = faio("clinic", "list", token=None)
    assert result.exit_code == 1
    assert "faio officer create" in result.stderr and "faio officer token --email" in result.stderr
    assert services.requests == []


def test_a_refused_token_says_how_to_get_a_new_one(services: FakeServices) -> None:
    services.answer("GET", "/v1/clinics", 401, {"detail": "invalid token (this token was revoked)"})
    result = faio("clinic", "list")
    assert result.exit_code == 1
    assert "this token was revoked" in result.stderr and "faio officer token --email" in result.stderr


def test_a_stored_name_cannot_drive_the_terminal(services: FakeServices) -> None:
    # Typed before names were checked: an ESC sequence, a bidi override and rich's own markup.
    poisoned = CLINIC | {"name": "Evil\x1b]8;;http://x\x07 Clinic\u202e[link=http://x]gpj[/link]"}
    services.answer("GET", "/v1/clinics", 200, {"items": [poisoned], "total": 1, "limit": 50, "offset": 0})
    result = faio("clinic", "list")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "[link=http://x]gpj[/link]" in result.stdout  # shown as typed, not followed as markup


def test_an_unreachable_service_names_its_address_and_the_variable(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(client, "transport", httpx.MockTransport(refuse))
    result = faio("--intake-url", "http://intake.example:8001", "clinic", "list")
    assert result.exit_code == 1
    assert "cannot reach the intake service at http://intake.example:8001" in result.stderr
    assert "FAIO_INTAKE_URL" in result.stderr


def test_clinic_update_adds_and_drops_systems_and_replaces_staff(services: FakeServices) -> None:
    services.answer("GET", f"/v1/clinics/{CLINIC['id']}", 200, CLINIC)
    services.answer("PATCH", f"/v1/clinics/{CLINIC['id']}", 200, CLINIC)
    result = faio(
        "clinic", "update", CLINIC["id"], "--system", "scheduling=Zocdoc", "--drop-system", "phone",
        "--staff", "front desk:4:25", "--locations", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert services.body("PATCH", f"/v1/clinics/{CLINIC['id']}") == {
        "locations": 3,
        "staff": [{"role": "front desk", "headcount": 4, "hourly_cost": 25.0}],
        "systems": {"emr": "athenahealth", "scheduling": "Zocdoc"},
    }
    assert f"clinic id: {CLINIC['id']}" in result.stdout.splitlines()


def test_clinic_update_sets_the_clinics_own_time(services: FakeServices) -> None:
    services.answer("PATCH", f"/v1/clinics/{CLINIC['id']}", 200, CLINIC)
    result = faio(
        "clinic", "update", CLINIC["id"], "--time-zone", "America/Los_Angeles", "--open-days", "mon-thu,sat",
        "--holidays", "US-CA", "--closed", "2026-12-24", "--closed", "2026-12-31",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert services.body("PATCH", f"/v1/clinics/{CLINIC['id']}") == {
        "time_zone": "America/Los_Angeles",
        "open_days": ["mon", "tue", "wed", "thu", "sat"],
        "holidays": "US-CA",
        "closures": ["2026-12-24", "2026-12-31"],
    }


def test_open_days_that_are_not_days_are_refused_with_the_format(services: FakeServices) -> None:
    result = faio("clinic", "update", CLINIC["id"], "--open-days", "monday-friday")
    assert result.exit_code == 2
    assert "mon-fri" in result.stderr
    assert services.requests == []


def test_clinic_update_with_nothing_to_change_says_what_it_takes(services: FakeServices) -> None:
    result = faio("clinic", "update", CLINIC["id"])
    assert result.exit_code == 2
    assert "--system" in result.stderr
    assert services.requests == []


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--staff", "front desk:three:24", "ROLE:HEADCOUNT:HOURLY_COST"),
        ("--system", "athenahealth", "KIND=VENDOR"),
    ],
)
def test_clinic_add_explains_the_staff_and_system_formats(
    services: FakeServices, option: str, value: str, expected: str
) -> None:
    result = faio("clinic", "add", "--name", "A", "--specialty", "B", option, value)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert services.requests == []


def test_an_answers_file_that_is_not_a_mapping_is_refused_with_the_fix(
    services: FakeServices, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("- just\n- a list\n")
    result = faio("assessment", "submit", CLINIC["id"], str(answers))
    assert result.exit_code == 2
    assert "mapping of question id -> answer" in result.stderr
    assert "faio assessment questionnaire --template" in result.stderr


def test_revoke_says_how_to_get_a_new_token(services: FakeServices) -> None:
    revoked = {
        "officer": ISSUED["officer"] | {"token_version": 2},
        "detail": "every earlier token is refused",
    }
    services.answer("POST", "/v1/officers/token-revocations", 200, revoked)
    result = faio("officer", "revoke", "--email", "ada@example.org", token=None)
    assert result.exit_code == 0, result.output
    assert "revoked every token of ada@example.org" in result.stdout
    assert "faio officer token --email ada@example.org" in result.stdout
    del services.answers[("POST", "/v1/officers/token-revocations")]  # the stand-in's 404
    unknown = faio("officer", "revoke", "--email", "nobody@example.org", token=None)
    assert unknown.exit_code == 1 and "faio officer list" in unknown.stderr
