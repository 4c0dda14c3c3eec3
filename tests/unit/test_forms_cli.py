"""`faio prospect ...` and `faio audit link/not-logged` against stand-in services."""

from typing import Any

from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

LEAD_ID = "5e1d0000-0000-4000-8000-000000000001"
CLINIC_ID = "4201c2fd-2f77-467a-a64e-4b1612ab2699"
AUDIT_ID = "0f8f3a2e-1111-4c4c-9999-000000000001"
LEAD: dict[str, Any] = {
    "id": LEAD_ID,
    "invite_id": "1e1d0000-0000-4000-8000-000000000001",
    "invite_label": "conference",
    "questionnaire_version": "v1",
    "answers": {"lead_sponsor": "owner"},
    "dimension_scores": {"leadership": 50.0},
    "overall_score": 41.7,
    "level": "foundational",
    "consent": True,
    "practice_name": "Quietbrook Family Medicine",
    "contact_name": "",
    "email": "owner@quietbrook.example",
    "phone": "",
    "submitted_at": "2026-11-27T10:00:00Z",
    "clinic_id": None,
    "converted_at": None,
}


def test_invite_prints_the_link_to_send(services: FakeServices) -> None:
    made = {
        "id": "inv-1",
        "label": "",
        "created_at": "2026-11-27T10:00:00Z",
        "expires_at": "2026-12-11T10:00:00Z",
        "revoked_at": None,
        "leads": 0,
        "url": "http://portal/p/TOKEN",
        "token": "TOKEN",
    }
    services.answer("POST", "/v1/prospect-invites", 201, made)
    result = faio("prospect", "invite", "--label", "Dr. Who's practice", "--days", "7")
    assert result.exit_code == 0, result.output
    assert "link: http://portal/p/TOKEN" in result.output and "faio prospect revoke inv-1" in result.output
    assert services.body("POST", "/v1/prospect-invites") == {
        "label": "Dr. Who's practice",
        "expires_in_days": 7,
    }


def test_list_shows_leads_and_convert_makes_a_clinic(services: FakeServices) -> None:
    services.answer("GET", "/v1/prospects", 200, [LEAD])
    listed = faio("prospect", "list")
    assert listed.exit_code == 0, listed.output
    assert "Quietbrook Family Medicine" in listed.output and "foundational" in listed.output

    clinic = {"id": CLINIC_ID, "name": "Quietbrook Family Medicine"}
    services.answer("POST", f"/v1/prospects/{LEAD_ID}/convert", 201, clinic)
    converted = faio("prospect", "convert", LEAD_ID, "--specialty", "family medicine")
    assert converted.exit_code == 0, converted.output
    assert f"clinic id: {CLINIC_ID}" in converted.output and "faio prospect draft" in converted.output
    assert services.body("POST", f"/v1/prospects/{LEAD_ID}/convert")["specialty"] == "family medicine"


def test_a_conflict_says_what_to_check(services: FakeServices) -> None:
    services.answer("POST", f"/v1/prospects/{LEAD_ID}/convert", 409, {"detail": "lead is already clinic X"})
    result = faio("prospect", "convert", LEAD_ID)
    assert result.exit_code == 1 and "already clinic" in result.output


def test_audit_link_sends_the_roster_and_not_logged_lists_who_is_missing(services: FakeServices) -> None:
    made = {
        "id": "lnk-1",
        "audit_id": AUDIT_ID,
        "roster": [{"staff_id": "fd-1", "role": "front desk"}],
        "created_at": "2026-11-27T10:00:00Z",
        "expires_at": "2026-12-05T00:00:00Z",
        "revoked_at": None,
        "url": "http://portal/t/TOKEN",
        "token": "TOKEN",
    }
    services.answer("POST", f"/v1/audits/{AUDIT_ID}/task-log-links", 201, made)
    result = faio("audit", "link", AUDIT_ID, "--staff", "fd-1:front desk")
    assert result.exit_code == 0, result.output
    assert "link: http://portal/t/TOKEN" in result.output and "fd-1 (front desk)" in result.output
    assert services.body("POST", f"/v1/audits/{AUDIT_ID}/task-log-links") == {
        "roster": [{"staff_id": "fd-1", "role": "front desk"}]
    }

    status = {
        "audit_id": AUDIT_ID,
        "roster": [{"staff_id": "fd-1", "role": "front desk"}, {"staff_id": "dr-1", "role": "physician"}],
        "days": [{"day": "2026-11-27", "logged": ["dr-1"], "not_logged": ["fd-1"]}],
    }
    services.answer("GET", f"/v1/audits/{AUDIT_ID}/logging-status", 200, status)
    shown = faio("audit", "not-logged", AUDIT_ID)
    assert shown.exit_code == 0, shown.output
    assert "2026-11-27" in shown.output and "1 of 2" in shown.output and "fd-1" in shown.output


def test_a_staff_option_without_a_role_is_refused_before_sending(services: FakeServices) -> None:
    result = faio("audit", "link", AUDIT_ID, "--staff", "fd-1")
    assert result.exit_code == 2 and "pseudonym and a role" in result.output
    assert services.requests == []
