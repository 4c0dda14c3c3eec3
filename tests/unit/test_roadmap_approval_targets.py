"""Targets that can be met and read, at approval: a share's target in points or as a share of the gap
becomes the relative change the plan keeps, and what cannot be met is refused naming the field."""

from datetime import date

import pytest
from pydantic import ValidationError

from services.roadmap.initiatives import approval_targets
from services.roadmap.initiatives.models import ApprovalIn
from shared.errors import Refused

BASELINE = {"source": "manual_count", "value": 0.29, "weekly_volume": 300}


def approval(**fields: object) -> ApprovalIn:
    return ApprovalIn.model_validate({"owner": "fd-lead-1", **fields})


def test_points_on_a_share_become_the_relative_change() -> None:
    # 29 % -> 14.5 %: -14.5 points is -50 % of the baseline.
    resolved = approval_targets.resolved(
        kpi="missed_call_rate",
        approval=approval(target_change_points=-14.5, baseline=BASELINE),
        suggested_pct=-50,
    )
    assert resolved.target_pct == pytest.approx(-50.0)


def test_a_share_of_the_gap_closes_towards_the_better_end() -> None:
    # Missed calls (lower is better): half the gap to 0 % is -50 %. Messages answered in a business day
    # (higher is better) at 60 %: half the gap to 100 % is 80 %, +33.33 %.
    lower = approval_targets.resolved(
        kpi="missed_call_rate",
        approval=approval(target_share_of_gap=0.5, baseline=BASELINE),
        suggested_pct=-50,
    )
    higher = approval_targets.resolved(
        kpi="messages_answered_within_business_day",
        approval=approval(target_share_of_gap=0.5, baseline=BASELINE | {"value": 0.6}),
        suggested_pct=20,
    )
    assert lower.target_pct == -50.0
    assert higher.target_pct == pytest.approx(33.33, abs=0.01)


def test_points_beyond_the_share_are_refused_naming_what_is_possible() -> None:
    with pytest.raises(Refused, match=r"target_change_points: from 29 % .* between -29 and \+71 points"):
        approval_targets.resolved(
            kpi="missed_call_rate",
            approval=approval(target_change_points=-40, baseline=BASELINE),
            suggested_pct=-50,
        )


def test_points_without_a_typed_baseline_wait_for_the_feeds_with_a_provisional_target() -> None:
    # The feed measures the baseline: the plan reads the points against it (target_lock.py); until
    # then the approval's relative target is provisional, exact for a share of the gap to 0 %.
    pending = approval(target_change_points=-10, baseline_from_history_weeks=4)
    assert pending.target_pending
    assert (
        approval_targets.resolved(kpi="missed_call_rate", approval=pending, suggested_pct=-50).target_pct
        == -50
    )
    gap = approval(target_share_of_gap=0.4)
    assert (
        approval_targets.resolved(kpi="missed_call_rate", approval=gap, suggested_pct=-50).target_pct == -40
    )
    with pytest.raises(Refused, match=r"target_change_points: missed_call_rate is better lower.*-10"):
        approval_targets.resolved(
            kpi="missed_call_rate", approval=approval(target_change_points=10), suggested_pct=-50
        )
    with pytest.raises(Refused, match="target_change_points: documentation_minutes_per_note is not a share"):
        approval_targets.resolved(kpi="documentation_minutes_per_note", approval=pending, suggested_pct=-10)
    assert not approval(target_change_points=-10, baseline=BASELINE).target_pending


def test_one_target_only() -> None:
    with pytest.raises(ValidationError, match="target_change_pct: give the target one way"):
        approval(target_change_pct=-30, target_change_points=-10, baseline=BASELINE)
    with pytest.raises(ValidationError, match="target_change_pct: give the target one way"):
        approval()


def test_a_wrong_sign_and_an_unreachable_rise_are_refused() -> None:
    wrong = approval_targets.refusals(
        kpi="missed_call_rate", approval=approval(target_change_pct=30), today=date(2026, 12, 7)
    )
    assert wrong and wrong[0].startswith("target_change_pct: missed_call_rate is better lower")
    beyond = approval_targets.refusals(
        kpi="messages_answered_within_business_day",
        approval=approval(target_change_pct=30, baseline=BASELINE | {"value": 0.8}),
        today=date(2026, 12, 7),
    )
    assert beyond and "+25" in beyond[0]
