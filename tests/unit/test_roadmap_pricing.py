"""Money at approval, checked against hand computations (initiatives/pricing.py).

The issue's case: 4 physicians put a scribe on 40 h of documentation a week, loaded at 150 an hour
(6,000 a week), at 600 per physician and month (2,400 a month, 28,800 a year). The audit's savings
prior (40 % x 0.6 predictability = 24 % of the hours) showed ROI +160 %; at the UCLA trial's Nabla
effect (-9.5 %) a year at full use returns about +3 %.
"""

from typing import Any

import pytest

from services.roadmap.initiatives.evidence_library import reference_effect
from services.roadmap.initiatives.pricing import (
    CashInputs,
    ToolCost,
    expected_money,
    phasing_for,
)
from services.roadmap.plans import money as plan_money

HOURS, HOURLY = 40.0, 150.0
SCRIBE = ToolCost(per_user_monthly=600, users=4)
YEAR_COST = 4 * 600 * 12  # 28,800
WEEKLY_COST = 2400 * 12 / 52  # 553.85


def scribe_money(target: float, *, pilot: int = 1, cash: CashInputs | None = None) -> dict[str, Any]:
    return expected_money(
        kpi="documentation_minutes_per_note",
        target_change_pct=target,
        hours_per_week=HOURS,
        cost_per_week=HOURS * HOURLY,
        audit_prior_per_week=HOURS * 0.24 * HOURLY,
        tool_cost=SCRIBE,
        phasing=phasing_for(phase_days=None, pilot_group_size=pilot, rollout_users=4),
        cash=cash,
        reference=reference_effect(
            kpi="documentation_minutes_per_note", solution="AI scribe (ambient)", product="Nabla"
        ),
    ).as_dict()


def test_the_issue_example_priced_from_the_target_and_the_trial_not_the_audit_prior() -> None:
    # What the owner was shown: 24 % of 40 h x 150 = 1,440 a week; 52 x 1,440 = 74,880 -> +160 %.
    assert round((52 * HOURS * 0.24 * HOURLY - YEAR_COST) / YEAR_COST * 100) == 160
    money = scribe_money(-10)
    # At the UCLA Nabla arm (-9.5 %): 3.8 h x 150 = 570 a week; 52 x 570 = 29,640 -> +2.9 % a full year.
    published = money["at_published_effect"]
    assert published["change_pct"] == -9.5 and "pragmatic randomized trial" in money["published_effect_note"]
    assert (published["hours_freed_per_week"], published["capacity_value_per_week"]) == (3.8, 570.0)
    assert published["roi_full_year_pct"] == pytest.approx((52 * 570 - YEAR_COST) / YEAR_COST * 100, abs=0.05)
    assert published["roi_full_year_pct"] == pytest.approx(2.9)
    # The target (-10 %): 4 h = 600 a week. Phased over the first 364 days (2 w baseline, 2 w
    # preparation, 6 w pilot with 1 of 4 physicians, 8 w ramp 25 % -> 100 %, then everyone):
    # (42 x 0.25 + 56 x (0.25 + 1) / 2 + 238) / 7 = 40.5 weeks of full benefit.
    target = money["at_target"]
    assert money["phasing"]["first_year_full_weeks"] == 40.5
    assert target["first_year_value"] == 600 * 40.5
    assert target["roi_12_months_pct"] == pytest.approx((600 * 40.5 - YEAR_COST) / YEAR_COST * 100, abs=0.05)
    assert published["roi_12_months_pct"] == pytest.approx(
        (570 * 40.5 - YEAR_COST) / YEAR_COST * 100, abs=0.05
    )
    # Staff time is not cash: no cash at all unless the officer says how the hours become cash.
    assert target["cash_per_week"] == 0 and target["cash_roi_12_months_pct"] == -100.0
    assert "capacity, not cash" in money["pricing"]["cash_note"]
    assert money["status"] == "projected" and money["note"].startswith("projected, not measured")
    assert money["audit_prior_per_week"] == 1440


def test_payback_is_counted_from_approval_through_the_phases() -> None:
    # By day 126 (end of the ramp) the benefit is 600 / 7 x 45.5 = 3,900 against 553.85 / 7 x 126 of
    # subscription; after that it gains (600 - 553.85) / 7 a day: 126 + (9,969.2 - 3,900) / 6.593 days.
    days = 126 + (WEEKLY_COST / 7 * 126 - 600 / 7 * 45.5) / ((600 - WEEKLY_COST) / 7)
    assert scribe_money(-10)["at_target"]["payback_weeks"] == pytest.approx(days / 7, abs=0.15)
    assert scribe_money(-9)["at_target"]["payback_weeks"] is None  # 540 a week never covers 553.85


def test_converted_hours_are_cash_and_never_counted_twice() -> None:
    money = scribe_money(
        -10, cash=CashInputs(capacity_to_cash_share=0.5, capacity_to_cash_note="no Saturday overtime")
    )
    target = money["at_target"]
    assert target["cash_per_week"] == 300  # half of the 600 the freed hours are worth
    assert target["value_per_week"] == 600  # the converted half is already inside the hours' value
    assert "no Saturday overtime" in money["pricing"]["cash_note"]


def test_no_pilot_benefit_is_assumed_when_the_users_at_rollout_are_unknown() -> None:
    phasing = phasing_for(phase_days=None, pilot_group_size=3, rollout_users=0)
    assert phasing.pilot_share == 0 and "counted as earning nothing" in phasing.pilot_share_note
    # 0 in the pilot, the ramp 0 -> 1 over 56 days (28 days' worth), then 238 days: 266 / 7 = 38 weeks.
    assert phasing.full_weeks() == 38.0
    everyone = phasing_for(phase_days={"baseline": 1, "pilot": 28}, pilot_group_size=0, rollout_users=0)
    # Whole clinic pilots from day 15: 364 - 15 = 349 days = 49.857 weeks.
    assert everyone.full_weeks() == pytest.approx(349 / 7, abs=1e-3)


def test_a_measured_change_is_priced_on_the_approvals_basis() -> None:
    # A -10 % target met is worth a third of a -30 % target met (the old re-pricing made them equal).
    modest = plan_money.money_for_change(scribe_money(-10), target_pct=-10, effect_pct=-10, basis="gate 1")
    bold = plan_money.money_for_change(scribe_money(-30), target_pct=-30, effect_pct=-30, basis="gate 1")
    assert modest.benefit_per_week == 600 and bold.benefit_per_week == 1800
    assert modest.benefit_per_week * 3 == bold.benefit_per_week
    # The interval gives the range; a rise (the wrong way) is a loss; hours and cash stay apart.
    ranged = plan_money.money_for_change(
        scribe_money(-10), target_pct=-10, effect_pct=-6, low_pct=-11, high_pct=2, basis="gate 1"
    )
    assert (ranged.benefit_per_week, ranged.benefit_per_week_low, ranged.benefit_per_week_high) == (
        360,
        -120,
        660,
    )
    assert ranged.hours_freed_per_week == 2.4 and ranged.cash_per_week == 0
    # A year at -6 %: 52 x 360 = 18,720 against 28,800 -> -35 %.
    assert ranged.roi_12_months_pct == pytest.approx((52 * 360 - YEAR_COST) / YEAR_COST * 100, abs=0.05)
