"""Money at each gate and realized at the close, and the close-out report, from plain data.

The figures are worked by hand in the comments: the approval priced a -50 % missed-call target at
300 saved + 700 revenue a week, with a tool at 433.33 a month (100 a week) and 1,000 set-up.
"""

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from services.roadmap.initiatives import pricing
from services.roadmap.plans import close_out
from services.roadmap.plans import money as plan_money
from services.roadmap.plans.evidence import GateData, HandBaselineFigure, Target, WeekCounts, judge_gate_data

APPROVAL_MONEY = {
    "target_change_pct": -50,
    # What 1 % of change along the target is worth a week: 1,000 / 50 = 20 (of which 700 / 50 = 14 cash).
    "pricing": {"hours_per_pct": 0.12, "value_per_pct": 20.0, "cash_per_pct": 14.0},
    "tool_cost_per_week": 100.0,
    "setup_cost": 1000.0,
    "note": "projected, not measured",
}


def test_a_measured_change_is_priced_in_proportion_to_the_target() -> None:
    money = plan_money.money_for_change(
        APPROVAL_MONEY, target_pct=-50, effect_pct=-40, low_pct=-55, high_pct=-20, basis="gate 1"
    )
    # -40 % of a -50 % target: 0.8 x 1,000 = 800 a week; the interval -55..-20 %: 1,100..400.
    assert money.share_of_target == 0.8
    assert (money.hours_freed_per_week, money.cash_per_week) == (4.8, 560)  # 0.12 h and 14 cash per 1 %
    assert (money.benefit_per_week, money.benefit_per_week_low, money.benefit_per_week_high) == (
        800,
        400,
        1100,
    )
    # Net 700 a week pays back 1,000 in 1.4 weeks; ROI = (52 x 800 - (1,000 + 52 x 100)) / 6,200 = 570.97 %.
    assert money.net_per_week == 700
    assert money.payback_weeks == 1.4
    assert money.roi_12_months_pct == pytest.approx(571.0)
    assert money.roi_12_months_pct_low == pytest.approx((52 * 400 - 6200) / 6200 * 100, abs=0.05)
    assert money.roi_12_months_pct_high == pytest.approx((52 * 1100 - 6200) / 6200 * 100, abs=0.05)


def test_no_change_never_pays_back_and_missing_figures_are_said() -> None:
    flat = plan_money.money_for_change(APPROVAL_MONEY, target_pct=-50, effect_pct=-2, basis="gate 1")
    assert flat.benefit_per_week == 40 and flat.payback_weeks is None
    assert "does not pay back" in flat.note
    unpriced = plan_money.money_for_change(
        {"dollars_saved_per_week": 300.0}, target_pct=-50, effect_pct=-25, basis="gate 1"
    )
    assert unpriced.benefit_per_week == 150 and unpriced.roi_12_months_pct is None
    assert "no tool cost" in unpriced.note
    assert plan_money.money_for_change(
        APPROVAL_MONEY, target_pct=-50, effect_pct=None, basis="x"
    ).note.startswith("no measured change")


def test_money_at_each_gate_in_order() -> None:
    gates = [
        {
            "outcome": "inconclusive",
            "estimate_pct": -20.0,
            "ci_low_pct": -36.0,
            "ci_high_pct": 1.0,
            "target_pct": -50,
        },
        {
            "outcome": "pass",
            "estimate_pct": -50.0,
            "ci_low_pct": -60.0,
            "ci_high_pct": -38.0,
            "target_pct": -50,
        },
    ]
    first, second = plan_money.money_at_gates(APPROVAL_MONEY, gates)
    assert first["basis"].startswith("gate 1 (inconclusive")
    assert (first["benefit_per_week"], first["benefit_per_week_low"]) == (400, -20)  # +1 % costs 20 a week
    assert second["benefit_per_week"] == 1000


# A hand-counted baseline: 29 % of 150 calls a week over the 14-day baseline phase.
HAND = HandBaselineFigure(value=0.29, weekly_volume=150.0, weeks=2.0, source="manual_count")
PILOT = [f"2027-W{index:02d}" for index in range(1, 7)]
AFTER = [f"2027-W{index:02d}" for index in range(10, 16)]
# Missed calls a week out of 150: 18 in the pilot (12 %), 21 after it (14 %), each week a little different.
PILOT_MISSED = [17, 19, 18, 16, 20, 18]
AFTER_MISSED = [20, 22, 21, 19, 23, 21]


def _judged(weeks: list[str], missed: list[int], *, ramp: int) -> GateData:
    return GateData(
        kpi="missed_call_rate",
        measure="rate",
        better="lower",
        baseline_weeks=(),
        pilot_weeks=tuple(weeks),
        clinic=tuple(WeekCounts(week, events, 150.0) for week, events in zip(weeks, missed, strict=True)),
        hand_baseline=HAND,
        ramp_up_weeks=ramp,
    )


def _finished_plan(**status: object) -> close_out.CloseOutFacts:
    pilot_evidence = judge_gate_data(_judged(PILOT, PILOT_MISSED, ramp=3), Target(-50.0))
    # The pilot group's use of the tool: 3 of 4 each pilot week, then 2 of 4 after it.
    weeks = [
        {
            "week": week,
            "value": events / 150,
            "sample_size": 150,
            "events": events,
            "total": 150.0,
            "pilot_adoption": 0.75 if week in PILOT else 0.5,
        }
        for week, events in [*zip(PILOT, PILOT_MISSED, strict=True), *zip(AFTER, AFTER_MISSED, strict=True)]
    ]
    base: dict[str, object] = {
        "baseline_value": 0.29,
        "baseline_weekly_volume": 150.0,
        "baseline_source": "manual_count",
        "no_baseline_reason": "",
        "gate_history": [dataclasses.asdict(pilot_evidence)],
        "outcome_weeks": [
            {"week": week, "value": events / 150, "sample_size": 150}
            for week, events in zip(AFTER, AFTER_MISSED, strict=True)
        ],
        "weeks": weeks,
        "retrainings": 1,
        "escalations": 0,
        "signed_off_by": "officer-7",
        "signed_off_at": "2027-02-01T10:00:00+00:00",
        "next_initiative_id": "init-2",
        "next_initiative_problem": "appointment scheduling",
        "target_change_pct": -50.0,
        "target_history": [
            {"target_change_pct": -40.0, "at": "2026-11-03T10:00:00+00:00", "phase": "baseline"},
            {"target_change_pct": -50.0, "at": "2026-11-20T08:00:00+00:00", "phase": "pilot"},
        ],
    }
    base.update(status)
    return close_out.CloseOutFacts(
        plan_id="plan-1",
        clinic_id="clinic-1",
        clinic_name="Lakeside <Pediatrics>",
        problem="patient_communication",
        solution="AI phone answering",
        kpi="missed_call_rate",
        owner="pm-1",
        outcome="done",
        approved_at=datetime(2026, 11, 2, tzinfo=UTC),
        target_change_pct=-50.0,
        baseline_days=14.0,
        review={"money": APPROVAL_MONEY, "target_flag": None, "warnings": ["the audit's coverage is low"]},
        transitions=[
            close_out.Transition(
                "evaluation", "pilot", "pilot finished after 42 days", datetime(2027, 1, 1, tzinfo=UTC)
            ),
            close_out.Transition(
                "rollout",
                "evaluation",
                "officer decided to continue at gate pass (officer-7)",
                datetime(2027, 1, 2, tzinfo=UTC),
            ),
            close_out.Transition(
                "done", "sustain", "sustain finished after 84 days", datetime(2027, 5, 1, tzinfo=UTC)
            ),
        ],
        status=base,
    )


def test_the_close_out_report_judges_the_weeks_after_the_pilot_like_the_gate() -> None:
    report = close_out.build_report(_finished_plan())
    # The same baseline against the six weeks after the pilot, all judged (no ramp-up after the pilot).
    independent = judge_gate_data(_judged(AFTER, AFTER_MISSED, ramp=0), Target(-50.0))
    assert report.result is not None
    assert report.result["estimate_pct"] == independent.estimate_pct
    assert (report.result["ci_low_pct"], report.result["ci_high_pct"]) == (
        independent.ci_low_pct,
        independent.ci_high_pct,
    )
    assert report.result["weeks"] == ["2027-W10", "2027-W15"]
    assert report.baseline == {
        "value": 0.29,
        "weekly_volume": 150.0,
        "source": "manual_count",
        "no_baseline_reason": "",
    }
    [gate] = report.gates
    assert gate.outcome == "pass" and gate.decision == "officer decided to continue at gate pass (officer-7)"
    assert report.closed_at == datetime(2027, 5, 1, tzinfo=UTC)
    realized = report.money["realized"]
    assert independent.estimate_pct is not None
    assert realized["effect_pct"] == independent.estimate_pct
    assert realized["benefit_per_week"] == pytest.approx(1000 * independent.estimate_pct / -50, abs=0.01)
    assert len(report.money["at_gates"]) == 1
    assert any(
        line.startswith(f"After the pilot, missed_call_rate changed {independent.estimate_pct:+.1f} %")
        for line in report.learned
    )
    assert "Keeping staff on the tool took 1 retraining and 0 escalations in sustain." in report.learned
    # The target in the KPI's own values, and its change before the pilot, for the owner to read.
    assert report.target_in_values == "29 % → 14.5 %"
    assert "The target changed before the pilot (-40 % → -50 %); the pilot was judged against the last." in (
        report.learned
    )
    assert "(29 % → 14.5 %)" in close_out.render_html(report)
    # Adoption is what was measured, not the absence of alerts: it fell from 75 % to 50 % of the group.
    assert (report.adoption["pilot"], report.adoption["after_pilot"]) == (0.75, 0.5)
    assert any(line.startswith("Adoption fell: on average 75 %") for line in report.learned)
    assert "75 %</strong> during the pilot" in close_out.render_html(report)
    # Money reads as on the portal's pages: dollars with their sign, counts with their noun agreeing.
    page = close_out.render_html(report)
    assert "1 retraining, 0 escalations while" in page and "(s)" not in page
    assert "h a week freed, $713 cash; worth $1,019 a week ($802 to $1,197)" in page
    assert "net a week" in page and not re.search(r"at \d+ net a week", page)
    assert report.learned[-1] == "Next: appointment scheduling."


def test_a_stopped_plan_without_a_baseline_says_so_and_the_page_escapes_names() -> None:
    facts = _finished_plan(
        outcome_weeks=[], baseline_value=None, baseline_source="", no_baseline_reason="no export"
    )
    report = close_out.build_report(facts)
    # No weeks after the pilot: the realized money falls back on the gate's measured effect, labelled so.
    assert report.result is None and report.money["realized"]["basis"] == "measured by the pilot at gate 1"
    assert report.money["realized"]["status"].startswith("projected from the pilot")
    assert any("without a baseline (the officer's reason: no export)" in line for line in report.learned)
    page = close_out.render_html(report)
    assert "Lakeside &lt;Pediatrics&gt;" in page and "<Pediatrics>" not in page
    assert "no export" in page and "Gate decisions" in page
    unanswered = close_out.build_report(
        _finished_plan().__class__(**{**_finished_plan().__dict__, "status": None})
    )
    assert not unanswered.complete and unanswered.gates == []


def test_a_pilot_group_under_three_has_its_adoption_not_shown_per_person() -> None:
    """A 50 % share of a pilot group of two says which of the two used the tool: not shown."""
    pair = dataclasses.replace(_finished_plan(), pilot_group_size=2)
    report = close_out.build_report(pair)
    assert report.adoption["pilot"] is None and report.adoption["after_pilot"] is None
    assert (
        "The pilot group's use of the tool: fewer than 3 clinicians: not shown per person." in report.learned
    )
    page = close_out.render_html(report)
    assert "fewer than 3 clinicians: not shown per person" in page and "75 %" not in page
    shown = close_out.build_report(dataclasses.replace(_finished_plan(), pilot_group_size=4))
    assert (shown.adoption["pilot"], shown.adoption["after_pilot"]) == (0.75, 0.5)


def test_a_plan_repriced_after_approval_closes_out_at_its_new_tool_cost() -> None:
    # Approved before its vendor was chosen (no tool cost), then re-priced at the vendor's catalog price.
    unpriced = pricing.expected_money(
        kpi="missed_call_rate",
        target_change_pct=-50,
        hours_per_week=0.0,
        cost_per_week=0.0,
        audit_prior_per_week=0.0,
        tool_cost=None,
        phasing=pricing.phasing_for(phase_days=None, pilot_group_size=0, rollout_users=0),
        cash=pricing.CashInputs(
            weekly_volume=150, baseline_rate=0.29, booking_share=0.5, average_visit_value=150
        ),
    ).as_dict()
    note = "Quillo Answer: $0.10 a minute x 4,333 (minutes a month), from your catalog"
    repriced = pricing.repriced_money(
        unpriced,
        tool_cost=pricing.ToolCost(per_unit=0.1, units_per_month=4333),
        tool_cost_note=note,
        pilot_group_size=0,
    )
    facts = dataclasses.replace(_finished_plan(), review={"money": repriced})
    report = close_out.build_report(facts)
    assert report.money["expected_at_approval"]["tool_cost_per_week"] == pytest.approx(
        433.3 / pricing.WEEKS_PER_MONTH, abs=0.01
    )
    realized = report.money["realized"]
    assert realized["tool_cost_per_week"] == report.money["expected_at_approval"]["tool_cost_per_week"]
    assert realized["roi_12_months_pct"] is not None
    page = close_out.render_html(report)
    assert note.replace("$", "") in page.replace("$", "") and "not given" not in page
