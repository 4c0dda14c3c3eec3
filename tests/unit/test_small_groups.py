"""Per-clinician figures in the officer's plan view: shown only for groups of MIN_GROUP clinicians or more."""

from typing import Any

from services.roadmap.plans.service import without_small_groups
from shared.small_groups import MIN_GROUP, NOT_SHOWN_PER_PERSON, shown_per_person


def reading(staff_id: str, *, pilot: bool, events: float) -> dict[str, Any]:
    return {"staff_id": staff_id, "pilot": pilot, "events": events, "total": 10.0}


def week(clinicians: list[dict[str, Any]], adoption: float | None = 0.5) -> dict[str, Any]:
    return {"week": "2026-W45", "value": 7.1, "clinicians": clinicians, "pilot_adoption": adoption}


def test_the_rule_is_three() -> None:
    assert MIN_GROUP == 3
    assert [shown_per_person(size) for size in range(5)] == [False, False, False, True, True]


def test_a_pilot_of_two_shows_neither_its_durations_nor_its_adoption() -> None:
    pilots = [reading("fp-a", pilot=True, events=60), reading("fp-b", pilot=True, events=80)]
    controls = [reading(f"fp-c{n}", pilot=False, events=70) for n in range(3)]
    live: dict[str, Any] = {
        "phase": "pilot",
        "weeks": [week(pilots + controls)],
        "outcome_weeks": [week(pilots)],
    }
    shown = without_small_groups(live, pilot_group_size=2)
    assert shown is not None
    (pilot_week,) = shown["weeks"]
    assert pilot_week["clinicians"] == controls  # the control group of three is shown, the pair is not
    assert pilot_week["pilot_adoption"] is None and pilot_week["not_shown"] == NOT_SHOWN_PER_PERSON
    assert shown["outcome_weeks"][0]["clinicians"] == []
    assert "fp-a" not in str(shown) and "fp-b" not in str(shown)
    assert live["weeks"][0]["clinicians"] == pilots + controls  # the workflow's own status is untouched


def test_groups_of_three_or_more_are_shown_as_they_are() -> None:
    pilots = [reading(f"fp-p{n}", pilot=True, events=60 + n) for n in range(3)]
    live: dict[str, Any] = {"weeks": [week(pilots, adoption=2 / 3)], "outcome_weeks": []}
    shown = without_small_groups(live, pilot_group_size=3)
    assert shown is not None and shown["weeks"] == live["weeks"]
    assert without_small_groups(None, pilot_group_size=1) is None
