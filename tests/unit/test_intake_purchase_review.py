"""The five questions before any AI purchase, checked against one clinic's staff and systems."""

from typing import Any

from services.intake.purchase_review_models import PurchaseReviewSubmit
from services.intake.scoring import review_purchase
from shared.events.intake import StaffRole

STAFF = [
    StaffRole(role="front desk", headcount=3, hourly_cost=24.0),
    StaffRole(role="practice manager", headcount=1, hourly_cost=45.0),
]
SYSTEMS = {"emr": "athenahealth", "phone": "RingCentral"}

GOOD: dict[str, Any] = {
    "tool": "CallBot",
    "problem": "Front desk misses a third of incoming calls between 8 and 10 am",
    "current_cost": {"hours_per_week": 12, "cost_per_week": 288},
    "owner_role": "Practice Manager",
    "owner_id": "ma-12",
    "success_measure": {"kpi": "missed calls per week", "baseline": 120, "target": 60},
    "integrates_with": {"phone": ["RingCentral", "Vonage"], "EMR": ["athenahealth"]},
}


def review(**changes: Any) -> tuple[str, dict[str, tuple[str, str]]]:
    verdict, findings = review_purchase(
        PurchaseReviewSubmit(**(GOOD | changes)), staff=STAFF, systems=SYSTEMS
    )
    return verdict, {finding.question: (finding.status, finding.reason) for finding in findings}


def test_five_strong_answers_are_ready_to_buy() -> None:
    verdict, findings = review()
    assert verdict == "ready_to_buy"
    assert {status for status, _ in findings.values()} == {"strong"}
    assert findings["integration"][1] == "Integrates with phone (RingCentral), EMR (athenahealth)."


def test_every_missing_answer_gets_its_own_reason() -> None:
    verdict, findings = review_purchase(PurchaseReviewSubmit(tool="ScribeAI"), staff=STAFF, systems=SYSTEMS)
    assert verdict == "not_yet"
    assert [(f.question, f.status) for f in findings] == [
        ("problem", "missing"),
        ("current_cost", "missing"),
        ("owner", "missing"),
        ("success_measure", "missing"),
        ("integration", "missing"),
    ]
    assert all(finding.reason for finding in findings)


def test_weak_answers_say_what_is_wrong() -> None:
    verdict, findings = review(
        problem="phones are bad",
        current_cost={"hours_per_week": 0, "cost_per_week": 0},
        owner_role="IT department",
        success_measure={"kpi": "missed calls", "baseline": 120},
    )
    assert verdict == "not_yet"
    assert findings["problem"][0] == "weak"
    assert findings["current_cost"][0] == "weak"
    assert findings["owner"] == (
        "weak",
        "The owner role 'IT department' is not on the clinic's staff (front desk, practice manager); "
        "pick someone who works there or update the clinic's staff.",
    )
    assert findings["success_measure"][0] == "weak"
    assert "baseline and a target" in findings["success_measure"][1]
    assert findings["integration"][0] == "strong"


def test_a_target_equal_to_the_baseline_is_not_a_success_measure() -> None:
    _, findings = review(success_measure={"kpi": "missed calls", "baseline": 120, "target": 120})
    assert findings["success_measure"][0] == "weak"


def test_a_role_without_a_person_is_weak_ownership() -> None:
    _, findings = review(owner_id=None)
    assert findings["owner"][0] == "weak"


def test_integration_is_checked_against_the_clinics_own_systems() -> None:
    verdict, findings = review(integrates_with={"emr": ["Epic", "eClinicalWorks"], "scheduling": ["Zocdoc"]})
    assert verdict == "not_yet"
    assert findings["integration"] == (
        "weak",
        "Does not integrate: the clinic's emr is athenahealth, the tool supports Epic, eClinicalWorks; "
        "the clinic has no scheduling on record (add it to the clinic profile).",
    )
