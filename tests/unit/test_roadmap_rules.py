"""The method's rules as plain functions: ranking, the five questions, KPI progress."""

import pytest

from services.intake.scoring import load_questionnaire, score_assessment
from services.roadmap.initiatives import rules
from services.roadmap.plans import phases
from tests.unit.test_intake_scoring import MIDDLING


def candidate(category: str, hours: float, cost: float, saved: float = 0.4) -> rules.Candidate:
    return rules.Candidate(
        category=category,
        solution="",
        hours_per_week=hours,
        cost_per_week=cost,
        predictability=0.8,
        hours_saved_low=hours * (saved - 0.1),
        hours_saved_high=hours * (saved + 0.1),
    )


def test_ranking_weighs_impact_by_readiness_and_recommends_the_first() -> None:
    proposals = rules.propose_initiatives(
        candidates=[
            candidate("appointment scheduling", 30, 1_400),  # most expensive, but no scheduling system
            candidate("documentation", 20, 1_000),
            candidate("Patient Communication", 10, 400),
        ],
        systems={"emr": "athenahealth", "phone": "RingCentral"},
        overall_score=60,
        dimension_scores={"data": 80},
    )
    assert [p.problem for p in proposals] == [
        "documentation",
        "appointment scheduling",
        "Patient Communication",
    ]
    assert [p.rank for p in proposals] == [1, 2, 3]
    assert [p.recommended for p in proposals] == [True, False, False]
    best, scheduling, messaging = proposals
    assert best.kpi == "documentation_minutes_per_note"
    assert best.suggested_target_pct == -10  # the controlled evidence, not the method's -30 %
    assert best.impact_per_week == 400  # 40 % of 1,000/week saved
    assert best.readiness == 0.7  # mean of overall 60 and integration readiness 80
    assert best.integrates is True
    assert "athenahealth" in best.integration_note
    assert "highest impact x readiness" in best.reason
    assert scheduling.integrates is False
    assert scheduling.readiness == 0.35  # halved: integration work comes first
    assert messaging.kpi == "messages_answered_within_business_day"
    assert messaging.suggested_target_pct == 25


@pytest.mark.parametrize(
    ("category", "kpi", "target"),
    [
        ("follow-up calls", "followups_completed", 30),
        ("appointment_scheduling", "self_scheduled_share", 30),
        ("referral coordination", "referral_completion_rate", 20),
        ("insurance verification", "minutes_per_eligibility_check", -30),
        ("billing", "claim_denial_rate", -20),
        ("marketing", "new_patient_requests", 20),
        ("internal_admin", "task_hours_per_week", -30),
        ("phone calls", "missed_call_rate", -50),
        ("appointment reminders", "no_show_rate", -20),
        ("something new", "task_hours_per_week", -30),
    ],
)
def test_each_category_gets_the_methods_kpi(category: str, kpi: str, target: float) -> None:
    playbook = rules.playbook_for(category)
    assert (playbook.kpi, playbook.target_change_pct) == (kpi, target)


@pytest.mark.parametrize(
    ("category", "solution", "kpi"),
    [
        ("appointment_scheduling", "AI receptionist for scheduling calls", "missed_call_rate"),
        ("patient_communication", "AI phone agent", "missed_call_rate"),
        ("appointment_scheduling", "automated SMS reminders", "no_show_rate"),
        # The audit's own text names both kinds: the problem's KPI stands.
        (
            "appointment_scheduling",
            "automated confirmations and reminders, or an AI receptionist for scheduling calls",
            "self_scheduled_share",
        ),
        ("follow_up_calls", "automated follow-up calls and text outreach", "followups_completed"),
    ],
)
def test_the_kind_of_solution_decides_when_it_names_one(category: str, solution: str, kpi: str) -> None:
    assert rules.playbook_for(category, solution).kpi == kpi


def test_no_problem_is_judged_by_tool_usage_and_the_methods_missed_call_target_is_reachable() -> None:
    every = [*rules.PLAYBOOKS.values(), *rules.NAMED_PROBLEMS.values(), rules.FALLBACK_PLAYBOOK]
    assert not {playbook.kpi for playbook in every} & {"ai_weekly_active_staff", "ai_adoption_rate"}
    assert any(playbook.kpi == "missed_call_rate" and playbook.target_change_pct == -50 for playbook in every)


def test_integration_readiness_counts_with_intakes_real_scoring_output() -> None:
    # intake's questionnaire v1 names the dimension "data" ("Data & integration readiness").
    scored = score_assessment(load_questionnaire(), MIDDLING)
    data = scored.dimension_scores[rules.INTEGRATION_DIMENSION]
    assert data != scored.overall_score  # otherwise the test could not tell the two apart
    readiness = rules.readiness_of(
        overall_score=scored.overall_score, dimension_scores=scored.dimension_scores, integrates=True
    )
    assert readiness == round((scored.overall_score + data) / 2 / 100, 3)


def test_unknown_systems_leave_the_integration_question_open() -> None:
    [proposal] = rules.propose_initiatives(
        candidates=[candidate("documentation", 20, 1_000)],
        systems={},
        overall_score=None,
        dimension_scores={},
    )
    assert proposal.integrates is None
    assert proposal.readiness == 0.375  # no assessment (0.5) and systems unknown (x0.75)


def test_no_candidates_no_proposals() -> None:
    assert (
        rules.propose_initiatives(candidates=[], systems={"emr": "x"}, overall_score=50, dimension_scores={})
        == []
    )


def test_five_questions_name_what_is_missing() -> None:
    answered = {
        "problem": "documentation",
        "cost_per_week": 900.0,
        "owner": "staff-lead-1",
        "kpi": "documentation_minutes_per_note",
        "target_change_pct": -30.0,
        "integrates": True,
    }
    assert rules.unanswered_questions(**answered) == []  # type: ignore[arg-type]
    # "Does it integrate: no" stops the approval unless the officer records why it may go ahead.
    no = {**answered, "integrates": False, "integration_note": "the clinic's emr is ModMed"}
    [refused] = rules.unanswered_questions(**no)  # type: ignore[arg-type]
    assert (
        refused.startswith("integration_exception: the solution does not integrate") and "ModMed" in refused
    )
    excepted = {**no, "integration_exception": "notes pasted by hand during the pilot"}
    assert rules.unanswered_questions(**excepted) == []  # type: ignore[arg-type]
    missing = rules.unanswered_questions(
        **{**answered, "owner": " ", "cost_per_week": 0.0, "target_change_pct": None, "integrates": None}  # type: ignore[arg-type]
    )
    assert [item.split(":")[0] for item in missing] == ["cost", "owner", "measure", "integration"]


@pytest.mark.parametrize(
    ("value", "baseline", "target", "reported", "expected"),
    [
        (14.0, 20.0, -30.0, None, 1.0),  # documentation minutes 20 -> 14: -30 %, met
        (17.0, 20.0, -30.0, None, 0.5),
        (22.0, 20.0, -30.0, None, -1 / 3),  # worse than baseline
        (0.60, 0.50, 20.0, None, 1.0),  # conversion +20 %
        (None, 20.0, -30.0, 0.8, 0.8),  # no value this week: the KPI service's figure
        (15.0, None, -30.0, 0.7, 0.7),  # baseline unknown here
        (15.0, None, -30.0, None, None),
    ],
)
def test_kpi_progress(
    value: float | None, baseline: float | None, target: float, reported: float | None, expected: float | None
) -> None:
    progress = phases.kpi_progress(
        value=value, baseline=baseline, target_change_pct=target, progress=reported
    )
    assert progress == (pytest.approx(expected) if expected is not None else None)
