"""`faio strategy` and `faio catalog`: what they send to roadmap (and intake), and what they refuse."""

import pytest

from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

CLINIC_ID = "4201c2fd-2f77-467a-a64e-4b1612ab2699"
ENTRY_ID = "7d1f5a52-2b0b-4a86-8f0b-3c6f0c8a8f11"
INITIATIVE_ID = "0b2a9e01-d0ef-57c1-a896-8fa4eed6852a"
ENTRY = {
    "id": ENTRY_ID,
    "category": "ai_scribe",
    "category_label": "AI scribe",
    "vendor": "Nabla",
    "product": "ambient scribe",
    "integrations": {"emr": ["Epic"]},
    "baa_available": True,
    "price_model": "per_provider_month",
    "price_usd": 119.0,
    "model_card": {"intended_use": "notes", "claims": "", "evidence": "UCLA RCT -9.5 %", "limitations": ""},
    "verified": False,
    "updated_at": "2026-11-27T12:00:00Z",
}


def test_rate_sends_one_answer_per_question_given(services: FakeServices) -> None:
    path = f"/v1/clinics/{CLINIC_ID}/strategy-interview"
    services.answer("PUT", path, 200, {"answers": [{}, {}]})
    result = faio(
        "strategy",
        "rate",
        CLINIC_ID,
        "documentation",
        "--staff-time",
        "3",
        "--burnout",
        "2",
        "--note",
        "re-keying",
    )
    assert result.exit_code == 0, result.output
    assert services.body("PUT", path) == {
        "answers": [
            {"area": "documentation", "question": "staff_time", "rating": 3, "note": "re-keying"},
            {"area": "documentation", "question": "burnout", "rating": 2, "note": "re-keying"},
        ]
    }
    assert "2 of 36" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("radiology", "--burnout", "1"), "unknown area"),
        (("billing",), "no rating given"),
        (("billing", "--burnout", "4"), "--burnout"),
    ],
)
def test_rate_refuses_bad_input_before_sending(
    services: FakeServices, args: tuple[str, ...], says: str
) -> None:
    result = faio("strategy", "rate", CLINIC_ID, *args)
    assert result.exit_code == 2
    assert says in result.output
    assert services.requests == []


def test_map_shows_scores_and_the_first_problem(services: FakeServices) -> None:
    area = {
        "area": "documentation",
        "label": "Documentation",
        "score": 60.2,
        "hours_per_week": 20.0,
        "readiness": 70.0,
        "evidence": ["interview: where burnout occurs: high"],
        "initiatives": [{"problem": "documentation"}],
    }
    body = {"answered": 4, "areas": [area], "first_reason": "Documentation scores 60/100", "waiting_for": []}
    services.answer("GET", f"/v1/clinics/{CLINIC_ID}/strategy-map", 200, body)
    result = faio("strategy", "map", CLINIC_ID)
    assert result.exit_code == 0, result.output
    assert "Documentation" in result.stdout and "60" in result.stdout and "first problem" in result.stdout


def test_catalog_add_builds_the_entry_and_its_model_card(services: FakeServices) -> None:
    services.answer("POST", "/v1/catalog", 201, ENTRY)
    result = faio(
        "catalog",
        "add",
        "--category",
        "ai_scribe",
        "--vendor",
        "Suki",
        "--integrates",
        "emr=Epic, athenahealth",
        "--integrates",
        "EMR=ModMed",
        "--baa",
        "--price-model",
        "per_provider_month",
        "--price",
        "299",
        "--evidence",
        "vendor case studies only",
    )
    assert result.exit_code == 0, result.output
    body = services.body("POST", "/v1/catalog")
    assert body["integrations"] == {"emr": ["Epic", "athenahealth", "ModMed"]}
    assert body["baa_available"] is True and body["price_usd"] == 299 and body["verified"] is True
    assert body["model_card"] == {"evidence": "vendor case studies only"}


def test_catalog_add_refuses_a_malformed_integration(services: FakeServices) -> None:
    result = faio("catalog", "add", "--category", "ai_scribe", "--vendor", "Suki", "--integrates", "Epic")
    assert result.exit_code == 2 and "KIND=PRODUCT" in result.output
    assert services.requests == []


def test_catalog_edit_keeps_what_is_not_changed(services: FakeServices) -> None:
    services.answer("GET", f"/v1/catalog/{ENTRY_ID}", 200, ENTRY)
    services.answer("PUT", f"/v1/catalog/{ENTRY_ID}", 200, ENTRY | {"baa_available": False})
    result = faio("catalog", "edit", ENTRY_ID, "--no-baa", "--claims", "less time in notes")
    assert result.exit_code == 0, result.output
    body = services.body("PUT", f"/v1/catalog/{ENTRY_ID}")
    assert body["baa_available"] is False and body["integrations"] == {"emr": ["Epic"]}
    assert (
        body["model_card"]["evidence"] == "UCLA RCT -9.5 %"
        and body["model_card"]["claims"] == "less time in notes"
    )
    assert body["verified"] is True and "id" not in body


def test_catalog_review_sends_the_vendor_to_intakes_purchase_review(services: FakeServices) -> None:
    draft = {
        "tool": "Nabla ambient scribe",
        "integrates_with": {"emr": ["Epic"]},
        "catalog_entry_id": ENTRY_ID,
    }
    services.answer("GET", f"/v1/catalog/{ENTRY_ID}/purchase-review", 200, draft)
    verdict = {
        "tool": "Nabla ambient scribe",
        "verdict": "not_yet",
        "findings": [{"question": "integration", "status": "weak", "reason": "the clinic's emr is ModMed"}],
    }
    services.answer("POST", f"/v1/clinics/{CLINIC_ID}/purchase-reviews", 201, verdict)
    result = faio("catalog", "review", ENTRY_ID, CLINIC_ID, "--problem", "notes after hours")
    assert result.exit_code == 0, result.output
    assert services.body("POST", f"/v1/clinics/{CLINIC_ID}/purchase-reviews") == draft | {
        "problem": "notes after hours"
    }
    assert "ModMed" in result.stdout


def test_catalog_choose_puts_the_entry_on_the_initiative(services: FakeServices) -> None:
    path = f"/v1/initiatives/{INITIATIVE_ID}/vendor"
    services.answer(
        "PUT", path, 200, {"entry": ENTRY, "integrates": True, "integration_note": "fits", "chosen": True}
    )
    result = faio("catalog", "choose", INITIATIVE_ID, ENTRY_ID)
    assert result.exit_code == 0, result.output
    assert services.body("PUT", path) == {"entry_id": ENTRY_ID}


def test_interview_lists_the_answers_with_their_words(services: FakeServices) -> None:
    body = {
        "clinic_id": CLINIC_ID,
        "questions": {"burnout": "where burnout occurs"},
        "areas": {"documentation": "Documentation"},
        "ratings": ["none", "low", "medium", "high"],
        "answers": [
            {"area": "documentation", "question": "burnout", "rating": 3, "note": "charting at home"}
        ],
    }
    services.answer("GET", f"/v1/clinics/{CLINIC_ID}/strategy-interview", 200, body)
    result = faio("strategy", "interview", CLINIC_ID)
    assert result.exit_code == 0, result.output
    assert (
        "where burnout occurs" in result.stdout
        and "high" in result.stdout
        and "charting at home" in result.stdout
    )
    assert "1 of 36" in result.stdout
