"""Findings on a fixture week whose hours, costs and ranking are computed by hand below."""

import pytest

from services.audit.findings import LoggedTask, RoleCost, compute_findings
from services.audit.models import Predictability, TaskCategory

ALWAYS, MOSTLY, VARIES = Predictability.always_same, Predictability.mostly_same, Predictability.varies
C = TaskCategory

ROLES = [
    RoleCost(role="front desk", headcount=2, hourly_cost=25.0),
    RoleCost(role="medical assistant", headcount=2, hourly_cost=30.0),
    RoleCost(role="physician", headcount=2, hourly_cost=120.0),
]

# A seven-day window of a Monday-to-Friday clinic: it covered the clinic's five open days, so
# per-week figures are the logged figures (factor 5/5 = 1).
ONE_WEEK = {"window_days": 7, "open_days_covered": 5, "open_days_per_week": 5}
WEEK = [
    # staff, role, category, description, minutes, times, predictability  -> hours, cost
    ("fd-1", "front desk", C.appointment_scheduling, "confirm appointments by phone", 4, 30, ALWAYS),
    # 4 x 30 = 120 min = 2.0 h x $25 = $50
    ("fd-2", "front desk", C.appointment_scheduling, "Confirm appointments by phone", 4, 30, ALWAYS),
    # 2.0 h, $50 (same task: the description matches case-insensitively)
    ("fd-2", "front desk", C.insurance_verification, "check eligibility on payer portal", 10, 18, MOSTLY),
    # 10 x 18 = 180 min = 3.0 h x $25 = $75
    ("ma-1", "medical assistant", C.follow_up_calls, "call patients with normal lab results", 5, 12, ALWAYS),
    # 5 x 12 = 60 min = 1.0 h x $30 = $30
    ("ma-1", "medical assistant", C.patient_communication, "answer portal messages", 6, 20, VARIES),
    # 6 x 20 = 120 min = 2.0 h x $30 = $60
    ("dr-1", "physician", C.documentation, "finish visit notes after hours", 90, 5, MOSTLY),
    # 90 x 5 = 450 min = 7.5 h x $120 = $900
    ("dr-1", "physician", C.other, "teach residents", 60, 1, VARIES),
    # 1.0 h x $120 = $120
]


def tasks(rows: list[tuple[str, str, TaskCategory, str, int, int, Predictability]]) -> list[LoggedTask]:
    return [
        LoggedTask(
            staff_id=staff,
            role=role,
            category=category,
            description=description,
            minutes=minutes,
            occurrences=times,
            predictability=predictability,
        )
        for staff, role, category, description, minutes, times, predictability in rows
    ]


def test_hours_and_cost_per_week_by_category_and_role() -> None:
    findings = compute_findings(tasks=tasks(WEEK), roles=ROLES, **ONE_WEEK)

    # 2 + 2 + 3 + 1 + 2 + 7.5 + 1 = 18.5 h;  50 + 50 + 75 + 30 + 60 + 900 + 120 = $1,285
    assert findings.total_hours_per_week == 18.5
    assert findings.total_cost_per_week == 1285.0
    by_category = {f.category: (f.hours_per_week, f.cost_per_week) for f in findings.by_category}
    assert by_category == {
        C.documentation: (7.5, 900.0),
        C.appointment_scheduling: (4.0, 100.0),
        C.insurance_verification: (3.0, 75.0),
        C.patient_communication: (2.0, 60.0),
        C.follow_up_calls: (1.0, 30.0),
        C.other: (1.0, 120.0),
    }
    # Ordered by hours; documentation is 7.5 / 18.5 = 40.5 % of the week.
    assert findings.by_category[0].category == C.documentation
    assert findings.by_category[0].share_of_hours == 0.405
    # front desk 2 + 2 + 3 = 7 h, $175; medical assistant 1 + 2 = 3 h, $90; physician 8.5 h, $1,020.
    by_role = [(r.role, r.hours_per_week, r.cost_per_week, r.staff_logged) for r in findings.by_role]
    assert by_role == [
        ("physician", 8.5, 1020.0, 1),
        ("front desk", 7.0, 175.0, 2),
        ("medical assistant", 3.0, 90.0, 1),
    ]


def test_candidates_ranked_by_weekly_cost_times_predictability_times_suitability() -> None:
    findings = compute_findings(tasks=tasks(WEEK), roles=ROLES, **ONE_WEEK)

    # score = cost/week x predictability (always 1.0, mostly 0.6, varies 0.2) x suitability
    #   documentation          900 x 0.6 x 0.9 = 486
    #   appointment scheduling 100 x 1.0 x 0.9 =  90
    #   insurance verification  75 x 0.6 x 0.9 =  40.5
    #   follow-up calls         30 x 1.0 x 0.8 =  24   (fewer hours than patient communication,
    #   patient communication   60 x 0.2 x 0.8 =   9.6  but its steps are always the same)
    #   other                  120 x 0.2 x 0.1 =   2.4 (costly, but nothing to automate)
    ranked = [(c.rank, c.category, c.score) for c in findings.candidates]
    assert ranked == [
        (1, C.documentation, 486.0),
        (2, C.appointment_scheduling, 90.0),
        (3, C.insurance_verification, 40.5),
        (4, C.follow_up_calls, 24.0),
        (5, C.patient_communication, 9.6),
        (6, C.other, 2.4),
    ]
    first, second, third = findings.candidates[:3]
    assert first.solution.startswith("AI scribe")
    assert "AI receptionist" in second.solution
    assert "eligibility" in third.solution
    # hours saved = hours x predictability x the solution's (low, high) share
    #   documentation 7.5 x 0.6 = 4.5 predictable h -> 4.5 x 0.3 = 1.35 .. 4.5 x 0.5 = 2.25
    #   scheduling    4.0 x 1.0 = 4.0               -> 4.0 x 0.3 = 1.2  .. 4.0 x 0.6 = 2.4
    #   insurance     3.0 x 0.6 = 1.8               -> 1.8 x 0.4 = 0.72 .. 1.8 x 0.7 = 1.26
    assert (first.hours_saved_low, first.hours_saved_high) == (1.35, 2.25)
    assert (second.hours_saved_low, second.hours_saved_high) == (1.2, 2.4)
    assert (third.hours_saved_low, third.hours_saved_high) == (0.72, 1.26)
    assert second.roles == ["front desk"]
    assert second.top_tasks == ["confirm appointments by phone"]
    assert second.distinct_tasks == 1


def test_repetitiveness_weighs_predictable_recurring_hours() -> None:
    findings = compute_findings(tasks=tasks(WEEK), roles=ROLES, **ONE_WEEK)

    # Every task but teaching happens at least 5 times a week (recurrence 1); teaching once (1/5).
    # repetitive hours = hours x predictability x recurrence:
    #   4 x 1 x 1 + 3 x 0.6 x 1 + 1 x 1 x 1 + 2 x 0.2 x 1 + 7.5 x 0.6 x 1 + 1 x 0.2 x 0.2
    #   = 4 + 1.8 + 1 + 0.4 + 4.5 + 0.04 = 11.74 of 18.5 h = 63.46 % -> 63.5
    assert findings.repetitiveness_score == 63.5
    other = next(f for f in findings.by_category if f.category == C.other)
    assert other.repetitiveness == pytest.approx(0.04)


def test_coverage_names_missing_staff_by_role() -> None:
    findings = compute_findings(tasks=tasks(WEEK), roles=ROLES, **ONE_WEEK)

    # 4 of 6 staff logged (67 %, above 60 %), every role represented: confident.
    coverage = findings.coverage
    assert (coverage.staff_logged, coverage.staff_expected, coverage.low_confidence) == (4, 6, False)
    assert coverage.missing == ["medical assistant: 1 of 2", "physician: 1 of 2"]


def test_few_staff_logging_is_low_confidence_and_says_who_is_missing() -> None:
    front_desk_only = [row for row in WEEK if row[1] == "front desk"]
    findings = compute_findings(tasks=tasks(front_desk_only), roles=ROLES, **ONE_WEEK)

    coverage = findings.coverage
    # 2 of 6 = 33 % < 60 %, and two roles logged nothing.
    assert coverage.low_confidence is True
    assert coverage.ratio == 0.333
    assert coverage.missing == ["medical assistant: 2 of 2", "physician: 2 of 2"]
    assert coverage.reason is not None
    assert "only 2 of 6 staff" in coverage.reason
    assert "medical assistant, physician" in coverage.reason


def test_longer_windows_are_scaled_to_a_week() -> None:
    # The same entries over a 14-day window (ten open days) are half as much per week: 18.5 x 5/10.
    findings = compute_findings(
        tasks=tasks(WEEK), roles=ROLES, window_days=14, open_days_covered=10, open_days_per_week=5
    )
    assert findings.total_hours_per_week == 9.25
    assert findings.total_cost_per_week == 642.5
    # Recurrence is per week too: the notes (5 in two weeks = 2.5/week) are now half-recurring.
    documentation = next(f for f in findings.by_category if f.category == C.documentation)
    assert documentation.repetitiveness == pytest.approx(0.6 * 0.5)


def test_candidates_count_how_often_their_work_happens_a_week() -> None:
    # A per-encounter price's volume until the feed measures one: 30 + 30 confirmations a week, and
    # over a two-week window (ten open days) half as many a week.
    one_week = compute_findings(tasks=tasks(WEEK), roles=ROLES, **ONE_WEEK)
    counts = {c.category: c.occurrences_per_week for c in one_week.candidates}
    assert counts[C.appointment_scheduling] == 60 and counts[C.documentation] == 5
    two_weeks = compute_findings(
        tasks=tasks(WEEK), roles=ROLES, window_days=14, open_days_covered=10, open_days_per_week=5
    )
    assert {c.category: c.occurrences_per_week for c in two_weeks.candidates}[C.appointment_scheduling] == 30


def test_an_empty_audit_has_no_candidates_and_is_low_confidence() -> None:
    findings = compute_findings(tasks=[], roles=ROLES, **ONE_WEEK)
    assert findings.candidates == []
    assert findings.total_hours_per_week == 0
    assert findings.coverage.low_confidence is True
    assert findings.coverage.reason == "nobody logged any task"


@pytest.mark.parametrize("unusable", [float("inf"), float("nan"), 1e308, 10_001.0, -1.0, None])
def test_an_unusable_hourly_cost_leaves_the_role_unpriced_and_every_figure_finite(
    unusable: float | None,
) -> None:
    roles = [*ROLES[:2], RoleCost(role="physician", headcount=2, hourly_cost=unusable)]
    findings = compute_findings(tasks=tasks(WEEK), roles=roles, **ONE_WEEK)

    assert findings.unpriced_roles == ["physician"]
    physician = next(role for role in findings.by_role if role.role == "physician")
    assert (physician.hourly_cost, physician.hours_per_week, physician.cost_per_week) == (None, 8.5, 0.0)
    # The other roles are priced as before: 2 + 2 + 3 h of front desk at $25, 1 + 2 h of MA at $30.
    assert findings.total_cost_per_week == 175 + 90
    assert findings.total_hours_per_week == 18.5
    text = findings.model_dump_json()
    assert "Infinity" not in text and "NaN" not in text
