"""The strategy map's arithmetic and its heat map, without infrastructure."""

import pytest

from services.portal.pages.strategy import HEAT, NO_DATA, heat_map
from services.roadmap.initiatives import rules
from services.roadmap.strategy import rules as strategy_map
from services.roadmap.strategy.rules import AuditHours, CandidateInitiative, Rating, build_map


def test_every_audit_category_belongs_to_exactly_one_area() -> None:
    for category in rules.PLAYBOOKS:
        areas = [area for area, info in strategy_map.AREAS.items() if category in info.audit_categories]
        assert len(areas) == 1, category
    assert strategy_map.area_of_category("Appointment Scheduling") == "scheduling"
    assert strategy_map.area_of_category("other") is None
    assert len(strategy_map.AREAS) == 9 and len(strategy_map.QUESTIONS) == 4


def test_the_interview_alone_scores_an_area_and_unknown_readiness_counts_half_way() -> None:
    built = build_map(
        ratings=[Rating("analytics", "staff_time", 3), Rating("analytics", "burnout", 1)],
        audit=[],
        dimension_scores={},
        overall_score=None,
    )
    analytics = next(area for area in built.areas if area.area == "analytics")
    assert analytics.interview == pytest.approx(4 / 6, abs=0.001)
    assert analytics.score == pytest.approx(100 * 4 / 6 * 0.75, abs=0.1)  # readiness unknown: x0.75
    assert built.areas[0].area == "analytics"  # highest first
    assert built.first_area is None  # no initiative to start with


def test_the_audit_alone_scores_by_the_share_of_the_busiest_area() -> None:
    built = build_map(
        ratings=[],
        audit=[
            AuditHours("billing", 10, 300),
            AuditHours("insurance_verification", 10, 300),
            AuditHours("marketing", 5, 100),
        ],
        dimension_scores={"data": 100, "compliance": 100, "budget": 0, "leadership": 0},
        overall_score=50,
        initiatives=[
            CandidateInitiative("m", "marketing", 2, False),
            CandidateInitiative("b", "billing", 1, True),
        ],
    )
    by_area = {area.area: area for area in built.areas}
    assert by_area["billing"].hours_per_week == 20 and by_area["billing"].score == 100  # busiest, fully ready
    assert by_area["marketing"].score == pytest.approx(100 * 0.25 * 0.5)  # a quarter of the hours, not ready
    assert by_area["analytics"].score is None  # the audit has no category for it
    assert built.first_area == "billing" and "Billing scores 100/100" in built.first_reason
    assert strategy_map.emphasis_by_category(built) == {}  # the ranking changes only once the practice spoke


def test_the_recommended_initiative_is_the_first_problem_even_below_a_louder_area() -> None:
    built = build_map(
        ratings=[Rating("documentation", "burnout", 3), Rating("operations", "staff_time", 3)],
        audit=[AuditHours("documentation", 10, 500), AuditHours("internal_admin", 10, 500)],
        dimension_scores={},
        overall_score=70,
        initiatives=[
            CandidateInitiative("d", "documentation", 1, True),
            CandidateInitiative("o", "internal_admin", 2, False),
        ],
    )
    assert built.first_area == "documentation"
    weights = strategy_map.emphasis_by_category(built)
    assert set(weights) == {"documentation", "internal_admin"}
    assert all(0.5 <= weight.factor <= 1.5 for weight in weights.values())


def test_the_heat_map_draws_ratings_hours_readiness_and_score_on_one_ramp() -> None:
    area = {
        "area": "documentation",
        "label": "Documentation",
        "ratings": {"staff_time": 3, "burnout": 0},
        "hours_share": 0.5,
        "hours_per_week": 12.0,
        "readiness": 100.0,
        "score": None,
    }
    heat = heat_map({"areas": [area], "first_area": "documentation"})
    row = heat["rows"][0]
    assert row["first"] and len(row["cells"]) == 7 and len(heat["columns"]) == 7
    staff_time, friction, _revenue, burnout, hours, readiness, score = row["cells"]
    assert (staff_time["fill"], staff_time["text"]) == (HEAT[4], "high")
    assert friction["fill"] == NO_DATA and burnout["fill"] == HEAT[0]
    assert (hours["fill"], hours["text"]) == (HEAT[2], "12 h")
    assert readiness["fill"] == HEAT[0]  # fully ready: nothing to worry about
    assert score["fill"] == NO_DATA
    assert heat["width"] == 150 + 7 * 74
