"""The AI Readiness Assessment scored by hand: a weak, a middling and a strong practice.

Questionnaire v1 has seven dimensions; every question is worth at most 4 points, so a
dimension's maximum is 4 x its number of questions: leadership 12, workflows 12, staff 16,
data 12, measurement 12, compliance 12, budget 8. Dimension score = points / max x 100;
overall = mean of the seven dimension scores (unrounded), both rounded to one decimal.
Levels: not_ready < 40 <= foundational < 60 <= ready < 80 <= advanced; compliance below 50
caps the level at foundational.
"""

from pathlib import Path

import pytest
import yaml

from services.intake import scoring
from services.intake.models import AnswerValue
from services.intake.scoring import (
    QUESTIONNAIRE_DIR,
    InvalidAnswers,
    UnknownQuestionnaire,
    load_questionnaire,
    score_assessment,
)

WEAK: dict[str, AnswerValue] = {
    # leadership: interested 1 + 1 + no 0 = 2/12 = 16.7
    "lead_sponsor": "interested",
    "lead_decisions": 1,
    "lead_priority": "no",
    # workflows: 0 + varies 0 + estimates 2 = 2/12 = 16.7
    "wf_documented": 0,
    "wf_consistency": "varies",
    "wf_volumes": "estimates",
    # staff: 2 + occasional 1 + no 0 + 1 = 4/16 = 25.0
    "staff_attitude": 2,
    "staff_training_time": "occasional",
    "staff_champion": "no",
    "staff_last_rollout": 1,
    # data: on_premise 1 + 1 + 2 = 4/12 = 33.3
    "data_emr": "on_premise",
    "data_inventory": 1,
    "data_quality": 2,
    # measurement: none 0 + no 0 + 0 = 0/12 = 0.0
    "meas_kpis": "none",
    "meas_baseline": "no",
    "meas_follow_up": 0,
    # compliance: no 0 + some 1 + never 0 = 1/12 = 8.3
    "comp_privacy_officer": "no",
    "comp_baa": "some",
    "comp_risk_assessment": "never",
    # budget: case_by_case 1 + 1 = 2/8 = 25.0
    "budget_allocated": "case_by_case",
    "budget_management_time": 1,
}

MIDDLING: dict[str, AnswerValue] = {
    # leadership: manager 3 + 2 + shortlist 2 = 7/12 = 58.3
    "lead_sponsor": "manager",
    "lead_decisions": 2,
    "lead_priority": "shortlist",
    # workflows: 2 + mostly 2 + estimates 2 = 6/12 = 50.0
    "wf_documented": 2,
    "wf_consistency": "mostly",
    "wf_volumes": "estimates",
    # staff: 3 + hour_week 3 + maybe 2 + 2 = 10/16 = 62.5
    "staff_attitude": 3,
    "staff_training_time": "hour_week",
    "staff_champion": "maybe",
    "staff_last_rollout": 2,
    # data: cloud 3 + 2 + 2 = 7/12 = 58.3
    "data_emr": "cloud",
    "data_inventory": 2,
    "data_quality": 2,
    # measurement: irregular 2 + guess 1 + 1 = 4/12 = 33.3
    "meas_kpis": "irregular",
    "meas_baseline": "guess",
    "meas_follow_up": 1,
    # compliance: informal 2 + most 3 + recent 3 = 8/12 = 66.7
    "comp_privacy_officer": "informal",
    "comp_baa": "most",
    "comp_risk_assessment": "recent",
    # budget: case_by_case 1 + 2 = 3/8 = 37.5
    "budget_allocated": "case_by_case",
    "budget_management_time": 2,
}

STRONG: dict[str, AnswerValue] = {
    # leadership: owner 4 + 4 + one 4 = 12/12 = 100.0
    "lead_sponsor": "owner",
    "lead_decisions": 4,
    "lead_priority": "one",
    # workflows: 3 + standard 4 + measured 4 = 11/12 = 91.7
    "wf_documented": 3,
    "wf_consistency": "standard",
    "wf_volumes": "measured",
    # staff: 4 + scheduled 4 + yes 4 + 3 = 15/16 = 93.75 -> 93.8
    "staff_attitude": 4,
    "staff_training_time": "scheduled",
    "staff_champion": "yes",
    "staff_last_rollout": 3,
    # data: open_api 4 + 3 + 3 = 10/12 = 83.3
    "data_emr": "open_api",
    "data_inventory": 3,
    "data_quality": 3,
    # measurement: weekly 4 + yes 4 + 4 = 12/12 = 100.0
    "meas_kpis": "weekly",
    "meas_baseline": "yes",
    "meas_follow_up": 4,
    # compliance: designated 4 + all 4 + yearly 4 = 12/12 = 100.0
    "comp_privacy_officer": "designated",
    "comp_baa": "all",
    "comp_risk_assessment": "yearly",
    # budget: tied_to_savings 4 + 4 = 8/8 = 100.0
    "budget_allocated": "tied_to_savings",
    "budget_management_time": 4,
}


def test_questionnaire_v1_covers_every_dimension_with_15_to_25_questions() -> None:
    questionnaire = load_questionnaire("v1")
    assert 15 <= len(questionnaire.questions) <= 25
    assert [d.id for d in questionnaire.dimensions] == [
        "leadership",
        "workflows",
        "staff",
        "data",
        "measurement",
        "compliance",
        "budget",
    ]
    assert set(WEAK) == {question.id for question in questionnaire.questions}


def test_weak_practice() -> None:
    result = score_assessment(load_questionnaire("v1"), WEAK)

    assert result.dimension_scores == {
        "leadership": 16.7,
        "workflows": 16.7,
        "staff": 25.0,
        "data": 33.3,
        "measurement": 0.0,
        "compliance": 8.3,
        "budget": 25.0,
    }
    # In 48ths of 100: 8 + 8 + 12 + 16 + 0 + 4 + 12 = 60/48 -> 125.0 / 7 = 17.857 -> 17.9
    assert result.overall_score == 17.9
    assert result.level == "not_ready"
    # Lowest first: measurement 0.0, compliance 8.3, then leadership and workflows tie at 16.7
    # and the questionnaire's order breaks it (leadership). Next actions come from the question
    # that lost most points in the dimension, the first on a tie:
    # measurement loses 4/4/4 -> meas_kpis; compliance 4/3/4 -> comp_privacy_officer;
    # leadership 3/3/4 -> lead_priority.
    assert [(gap.dimension, gap.score, gap.question_id) for gap in result.top_gaps] == [
        ("measurement", 0.0, "meas_kpis"),
        ("compliance", 8.3, "comp_privacy_officer"),
        ("leadership", 16.7, "lead_priority"),
    ]
    assert result.top_gaps[1].next_action.startswith("Designate a privacy officer")


def test_middling_practice() -> None:
    result = score_assessment(load_questionnaire("v1"), MIDDLING)

    assert result.dimension_scores == {
        "leadership": 58.3,
        "workflows": 50.0,
        "staff": 62.5,
        "data": 58.3,
        "measurement": 33.3,
        "compliance": 66.7,
        "budget": 37.5,
    }
    # In 48ths: 28 + 24 + 30 + 28 + 16 + 32 + 18 = 176/48 -> 366.67 / 7 = 52.38 -> 52.4
    assert result.overall_score == 52.4
    assert result.level == "foundational"  # 40 <= 52.4 < 60; compliance 66.7 passes the gate
    assert result.level_capped_by is None
    # measurement 33.3 (loses 2/3/3 -> meas_baseline), budget 37.5 (3/2 -> budget_allocated),
    # workflows 50.0 (2/2/2 -> the first, wf_documented)
    assert [(gap.dimension, gap.score, gap.question_id) for gap in result.top_gaps] == [
        ("measurement", 33.3, "meas_baseline"),
        ("budget", 37.5, "budget_allocated"),
        ("workflows", 50.0, "wf_documented"),
    ]


def test_strong_practice() -> None:
    result = score_assessment(load_questionnaire("v1"), STRONG)

    assert result.dimension_scores == {
        "leadership": 100.0,
        "workflows": 91.7,
        "staff": 93.8,
        "data": 83.3,
        "measurement": 100.0,
        "compliance": 100.0,
        "budget": 100.0,
    }
    # In 48ths: 48 + 44 + 45 + 40 + 48 + 48 + 48 = 321/48 -> 668.75 / 7 = 95.54 -> 95.5
    assert result.overall_score == 95.5
    assert result.level == "advanced"
    # Only three dimensions lose points: data 83.3 (0/1/1 -> data_inventory),
    # workflows 91.7 (1/0/0 -> wf_documented), staff 93.75 (0/0/0/1 -> staff_last_rollout).
    assert [(gap.dimension, gap.question_id) for gap in result.top_gaps] == [
        ("data", "data_inventory"),
        ("workflows", "wf_documented"),
        ("staff", "staff_last_rollout"),
    ]


def test_weak_compliance_caps_an_otherwise_advanced_practice_at_foundational() -> None:
    answers = STRONG | {"comp_privacy_officer": "no", "comp_baa": "none", "comp_risk_assessment": "never"}
    result = score_assessment(load_questionnaire("v1"), answers)

    # In 48ths: 48 + 44 + 45 + 40 + 48 + 0 + 48 = 273/48 -> 568.75 / 7 = 81.25: "advanced" by score
    assert result.overall_score == pytest.approx(81.25, abs=0.05)
    assert result.dimension_scores["compliance"] == 0.0
    assert result.level == "foundational"
    assert result.level_capped_by is not None and "BAA" in result.level_capped_by
    assert result.top_gaps[0].dimension == "compliance"


def test_a_perfect_practice_has_no_gaps() -> None:
    questionnaire = load_questionnaire("v1")
    perfect: dict[str, AnswerValue] = {
        q.id: 4 if q.type == "scale" else max(q.options, key=lambda o: o.points).id
        for q in questionnaire.questions
    }
    result = score_assessment(questionnaire, perfect)
    assert result.overall_score == 100.0
    assert result.top_gaps == []


@pytest.mark.parametrize(
    ("change", "question_id", "words"),
    [
        ({"lead_vibes": 3}, "lead_vibes", "unknown question id"),
        ({"lead_decisions": 5}, "lead_decisions", "out of range 0-4"),
        ({"lead_decisions": -1}, "lead_decisions", "out of range 0-4"),
        ({"lead_decisions": True}, "lead_decisions", "whole number"),
        ({"lead_decisions": "often"}, "lead_decisions", "whole number"),
        ({"lead_sponsor": "the cat"}, "lead_sponsor", "not one of the options"),
        ({"lead_sponsor": 2}, "lead_sponsor", "not one of the options"),
    ],
)
def test_bad_answers_name_the_question(change: dict[str, AnswerValue], question_id: str, words: str) -> None:
    with pytest.raises(InvalidAnswers) as raised:
        score_assessment(load_questionnaire("v1"), MIDDLING | change)
    [problem] = raised.value.problems
    assert problem.question_id == question_id
    assert words in problem.message


def test_an_incomplete_questionnaire_names_every_missing_question() -> None:
    answers = {key: value for key, value in MIDDLING.items() if key not in {"comp_baa", "budget_allocated"}}
    with pytest.raises(InvalidAnswers) as raised:
        score_assessment(load_questionnaire("v1"), answers)
    questions = {q.id: q.text for q in load_questionnaire("v1").questions}
    assert {(p.question_id, p.message) for p in raised.value.problems} == {
        ("comp_baa", f"not answered: {questions['comp_baa']}"),
        ("budget_allocated", f"not answered: {questions['budget_allocated']}"),
    }


def test_a_questionnaire_file_with_a_typo_fails_at_load_not_at_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = yaml.safe_load((QUESTIONNAIRE_DIR / "v1.yaml").read_text())
    data["version"] = "vtypo"
    data["questions"][0]["dimension"] = "leadershp"
    (tmp_path / "vtypo.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(scoring, "QUESTIONNAIRE_DIR", tmp_path)
    with pytest.raises(ValueError, match="unknown dimension leadershp"):
        load_questionnaire("vtypo")
    with pytest.raises(UnknownQuestionnaire, match="available: vtypo"):
        load_questionnaire("v2")
