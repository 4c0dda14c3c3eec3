"""Which alerts kpi raises from a clinic's weeks: Laney charts on the AI-assisted share and the KPI,
pilot clinicians going dormant, stale feeds. Limits are checked against numpy computed here."""

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest

from services.kpi import alert_rules, kpis
from services.kpi.control_charts import MOVING_RANGE_D2, POINT_LIMIT, RECENT_LIMIT

FIRST_MONDAY = date(2026, 5, 4)  # ISO week 2026-W19
WEEKS = [kpis.iso_week(FIRST_MONDAY + timedelta(weeks=index)) for index in range(30)]


def _week_data(**counters: float) -> kpis.PeriodData:
    data = kpis.PeriodData()
    data.counters.update(counters)
    return data


def _notes(ai_assisted: list[int], signed: int = 60) -> dict[str, kpis.PeriodData]:
    return {
        WEEKS[index]: _week_data(notes_signed=signed, notes_ai_assisted=count)
        for index, count in enumerate(ai_assisted)
    }


def _daily(feed_counter: str, per_day: dict[date, float]) -> dict[date, kpis.PeriodData]:
    return {day: _week_data(**{feed_counter: count}) for day, count in per_day.items()}


def _laney_lower_limit(events: np.ndarray, totals: np.ndarray, latest_total: float) -> tuple[float, float]:
    """Laney P' centre and the latest week's 3.3-sigma' lower limit, computed with numpy alone."""
    centre = events.sum() / totals.sum()
    sigma = np.sqrt(centre * (1 - centre) / totals)
    z = (events / totals - centre) / sigma
    sigma_z = max(np.abs(np.diff(z)).mean() / MOVING_RANGE_D2, 1.0)
    return centre, centre - POINT_LIMIT * sigma_z * np.sqrt(centre * (1 - centre) / latest_total)


def test_a_falling_ai_assisted_share_is_a_decline_with_its_limits_and_what_to_do() -> None:
    reference = [33, 39] * 7  # 55 % and 65 % of 60 notes, alternating
    weekly = _notes([*reference, 36, 36, 15])
    today = kpis.week_start(WEEKS[17])
    days = _daily("notes_signed", {today - timedelta(days=offset): 12 for offset in range(1, 8)})
    finding = alert_rules.ai_assisted_notes_decline(weekly, WEEKS[:17], days=days, today=today)
    assert finding is not None
    centre, lower = _laney_lower_limit(np.array(reference, float), np.full(14, 60.0), 60.0)
    assert (finding.kind, finding.metric, finding.week) == (
        "adoption_decline",
        "ai_assisted_note_share",
        WEEKS[16],
    )
    assert finding.evidence["rule"] == "beyond_limit"
    assert finding.evidence["centre"] == pytest.approx(centre, abs=1e-4)
    assert finding.evidence["lower_limit"] == pytest.approx(lower, abs=1e-4)
    assert finding.evidence[f"point_{WEEKS[16]}"] == 0.25
    assert "84 events in the last 7 days" in finding.message
    assert "Next:" in finding.message


def test_a_three_week_shift_is_judged_with_the_reference_uncertainty() -> None:
    reference = [33, 39] * 7
    recent = [26, 26, 26]  # 43.3 % three weeks running, each week inside its own limit
    weekly = _notes([*reference, *recent])
    today = kpis.week_start(WEEKS[17])
    finding = alert_rules.ai_assisted_notes_decline(weekly, WEEKS[:17], days={}, today=today)
    assert finding is not None and finding.evidence["rule"] == "three_week_shift"
    events, totals = np.array(reference, float), np.full(14, 60.0)
    centre = events.sum() / totals.sum()
    z = (events / totals - centre) / np.sqrt(centre * (1 - centre) / totals)
    sigma_z = np.abs(np.diff(z)).mean() / MOVING_RANGE_D2
    se = sigma_z * np.sqrt(centre * (1 - centre) * (1 / 180 + 1 / 840))
    assert finding.evidence["lower_limit"] == pytest.approx(centre - RECENT_LIMIT * se, abs=1e-4)
    assert "sent nothing in the last 7 days" in finding.message  # no notes feed figures given


def test_no_decline_without_a_scribe_a_short_pilot_or_on_noise() -> None:
    today = kpis.week_start(WEEKS[17])
    assert alert_rules.ai_assisted_notes_decline(_notes([0] * 17), WEEKS[:17], days={}, today=today) is None
    short = _notes([36] * 10 + [5])  # 11 weeks: too few reference weeks to know the noise
    assert alert_rules.ai_assisted_notes_decline(short, WEEKS[:11], days={}, today=today) is None
    noisy = _notes([33, 39] * 8 + [30])
    assert alert_rules.ai_assisted_notes_decline(noisy, WEEKS[:17], days={}, today=today) is None


def test_missed_calls_rising_again_is_a_regression_on_a_p_chart() -> None:
    weeks = WEEKS[:17]
    missed = [10, 14] * 7 + [12, 12, 40]
    weekly = {
        week: _week_data(calls_missed=count, calls_answered=100 - count)
        for week, count in zip(weeks, missed, strict=True)
    }
    finding = alert_rules.kpi_regression(
        kpis.definition("missed_call_rate"), weekly, weeks, today=kpis.week_start(WEEKS[17])
    )
    assert finding is not None
    assert (finding.kind, finding.evidence["direction"], finding.evidence["chart"]) == (
        "target_regression",
        "up",
        "laney_p_prime",
    )
    assert finding.evidence["centre"] == pytest.approx(0.12)
    # A median has no counts to chart: no regression alert rather than a wrong one.
    assert (
        alert_rules.kpi_regression(
            kpis.definition("median_message_response_minutes"), weekly, weeks, today=date(2026, 9, 7)
        )
        is None
    )


def test_pilot_clinicians_going_dormant_two_weeks_running() -> None:
    weeks = WEEKS[:4]
    group = ["s1", "s2", "s3", "s4", "s5", "s6"]
    active = [group, group, ["s1", "s2", "x9"], ["s3", "x9"]]  # x9 is not in the pilot group
    weekly = {}
    for week, staff in zip(weeks, active, strict=True):
        weekly[week] = kpis.PeriodData()
        for staff_id in staff:
            weekly[week].staff_minutes[staff_id] = 10.0
    today = kpis.week_start(WEEKS[4])
    # Third week: s3-s6 dormant (4) vs s1, s2 returning (2): one week is not yet a trend.
    assert alert_rules.dormant_clinicians(weekly, weeks[:3], pilot_group=group, days={}, today=today) is None
    finding = alert_rules.dormant_clinicians(weekly, weeks, pilot_group=group, days={}, today=today)
    # Fourth week: s1, s2 dormant (2) vs s3 resurrecting (1). Counting x9 (returning) would make it 2 vs 2.
    assert finding is not None
    assert (finding.metric, finding.week) == ("pilot_clinicians_dormant", WEEKS[3])
    assert (finding.evidence[f"{WEEKS[2]}_dormant"], finding.evidence[f"{WEEKS[2]}_returning"]) == (4, 2)
    assert (finding.evidence[f"{WEEKS[3]}_dormant"], finding.evidence[f"{WEEKS[3]}_resurrecting"]) == (2, 1)
    assert finding.evidence[f"{WEEKS[3]}_returning"] == 0
    assert "Next:" in finding.message


def test_a_quiet_feed_is_stale_and_names_the_partner_to_call() -> None:
    today = date(2026, 9, 10)
    busy = {today - timedelta(days=offset): 20.0 for offset in range(4, 32)}
    days = _daily("calls_answered", busy)
    statuses = alert_rules.feed_statuses(days, today=today)
    assert statuses["calls"].stale and not statuses["notes"].stale
    findings = alert_rules.stale_feed_findings(
        statuses, today=today, partner_names={"calls": ["Acme Phones"]}
    )
    assert [finding.metric for finding in findings] == ["feed_calls"]
    (finding,) = findings
    assert finding.kind == "feed_stale"
    assert finding.episode == str(today - timedelta(days=4))
    assert finding.evidence["usual_events_per_day"] == 20.0
    assert "Acme Phones" in finding.message and "missed_call_rate" in finding.message
    live = _daily("calls_answered", busy | {today - timedelta(days=2): 3.0})
    assert not alert_rules.feed_statuses(live, today=today)["calls"].stale


def test_share_within_counts_for_the_chart() -> None:
    data = kpis.PeriodData(counters=defaultdict(float))
    data.counters.update(
        {
            "messages_received": 10,
            kpis.ANSWERED_WITHIN_BUSINESS_DAY: 6,
        }
    )
    counts = alert_rules.chart_counts(kpis.definition("messages_answered_within_business_day"), data)
    assert counts == pytest.approx((6.0, 10.0))
