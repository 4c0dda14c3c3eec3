"""KPI math on hand-computed fixtures, and the decline and regression detectors on synthetic series."""

from datetime import date, timedelta

import pytest

from services.kpi import kpis
from services.kpi.kpis import PeriodData, compute_kpi, definition
from shared.events.partner import PARTNER_EVENT_BODIES, MessageAnswered, example_events, parse_body

W45 = [date(2026, 11, 2) + timedelta(days=offset) for offset in range(7)]  # Monday to Sunday


def period(counters: dict[str, float], staff: dict[str, float] | None = None) -> PeriodData:
    data = PeriodData()
    for name, value in counters.items():
        data.counters[name] += value
    for staff_id, minutes in (staff or {}).items():
        data.staff_minutes[staff_id] += minutes
    return data


def test_ratio_kpis_on_hand_computed_counts() -> None:
    data = period(
        {
            "calls_answered": 6,
            "calls_missed": 2,
            "calls_abandoned": 2,
            "notes_signed": 3,
            "documentation_minutes": 24,
            "appointments_requested": 5,
            "appointments_booked": 3,
            "visits_booked": 3,
            "visits_no_show": 1,
        }
    )
    assert compute_kpi(definition("missed_call_rate"), data) == kpis.KpiValue(0.4, 10)
    assert compute_kpi(definition("documentation_minutes_per_note"), data) == kpis.KpiValue(8.0, 3)
    assert compute_kpi(definition("appointment_conversion"), data) == kpis.KpiValue(0.6, 5)
    assert compute_kpi(definition("no_show_rate"), data).value == pytest.approx(1 / 3)


def test_message_kpis_from_the_response_histogram() -> None:
    answered = [kpis.counters_for(body) for body in _answers(30, 200, 600)]
    data = period({"messages_received": 4})
    for increments in answered:
        for name, value in increments:
            data.counters[name] += value
    # Which answers came within a business day is the aggregator's count (it knows the clinic's hours).
    data.counters[kpis.ANSWERED_WITHIN_BUSINESS_DAY] = 2
    assert compute_kpi(definition("messages_answered_within_business_day"), data) == kpis.KpiValue(0.5, 4)
    assert compute_kpi(definition("median_message_response_minutes"), data) == kpis.KpiValue(200.0, 3)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert kpis.histogram_median({10: 1, 20: 1, 40: 1, 90: 1}) == 30.0
    assert kpis.histogram_median({5: 3, 7: 1}) == 5.0


def test_staff_kpis_count_distinct_staff_and_the_pilot_groups_share() -> None:
    data = period({"ai_sessions": 3, "ai_minutes": 35}, {"s1": 15, "s2": 20})
    assert compute_kpi(definition("ai_weekly_active_staff"), data) == kpis.KpiValue(2.0, 3)
    assert compute_kpi(definition("ai_adoption_rate"), data, pilot_group=["s1", "s3"]) == kpis.KpiValue(
        0.5, 2
    )


def test_a_period_without_events_is_explicitly_no_data_for_every_kpi() -> None:
    for item in kpis.definitions():
        value = compute_kpi(item, PeriodData(), pilot_group=["s1"])
        assert value.value is None
        assert value.sample_size == 0
        assert value.no_data


def test_days_group_into_iso_weeks_across_a_year_boundary() -> None:
    days = {date(2026, 12, 31): period({"events": 1}), date(2027, 1, 3): period({"events": 2})}
    weeks = kpis.group_periods(days, "week")
    assert list(weeks) == ["2026-W53"]
    assert weeks["2026-W53"].counters["events"] == 3
    assert kpis.periods_between(date(2026, 12, 28), date(2027, 1, 5), "week") == ["2026-W53", "2027-W01"]


def test_baseline_pools_rates_and_averages_weekly_staff_counts() -> None:
    days = {
        W45[0]: period({"calls_answered": 9, "calls_missed": 1}, {}),
        W45[0] + timedelta(days=7): period({"calls_answered": 1, "calls_missed": 9}),
        W45[1]: period({"ai_sessions": 2}, {"a": 1, "b": 1}),
        W45[1] + timedelta(days=7): period({"ai_sessions": 4}, {"a": 1, "b": 1, "c": 1, "d": 1}),
    }
    end = W45[0] + timedelta(days=13)
    rate = kpis.baseline_value(definition("missed_call_rate"), days, start=W45[0], end=end)
    assert rate.value == pytest.approx(10 / 20)
    staff = kpis.baseline_value(definition("ai_weekly_active_staff"), days, start=W45[0], end=end)
    assert staff.value == pytest.approx(3.0)
    assert kpis.baseline_value(definition("no_show_rate"), days, start=W45[0], end=end).value is None


def test_progress_toward_the_target() -> None:
    target = kpis.target_value(10.0, -30)
    assert target == pytest.approx(7.0)
    assert kpis.progress(8.5, baseline=10.0, target=target) == pytest.approx(0.5)
    assert kpis.progress(11.5, baseline=10.0, target=target) == pytest.approx(-0.5)
    assert kpis.progress(None, baseline=10.0, target=target) is None
    assert kpis.progress(5.0, baseline=0.0, target=kpis.target_value(0.0, 25)) is None  # no division by zero


def _answers(*minutes: float) -> list[MessageAnswered]:
    return [MessageAnswered(response_minutes=value) for value in minutes]


def test_every_partner_event_type_adds_to_the_counters() -> None:
    assert set(kpis.COUNTERS) == set(PARTNER_EVENT_BODIES.values())
    for event_type, data in example_events().items():
        increments = dict(kpis.counters_for(parse_body(event_type, data)))
        assert increments["events"] == 1
        assert len(increments) > 1, event_type
