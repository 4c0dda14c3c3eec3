"""KPIs that measure each problem: the fields partners may add, and the counts they lead to.

No-shows count on the visit's date, referrals on the day they were sent and denials on the claim's
submission date (within 30 days); the expected values are counted by hand in each test.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.kpi import aggregate, kpis
from services.kpi.models import KpiClinic
from services.kpi.series import load_days
from shared import db
from shared.calendar import iso_week
from shared.events.kpi import WeekCounts
from shared.events.partner import PartnerActivity, PartnerEventInvalid, parse_body

MONDAY = date(2026, 11, 2)  # 2026-W45


def _event(clinic: uuid.UUID, day: date, event_type: str, data: dict[str, Any]) -> PartnerActivity:
    body = parse_body(f"partner.{event_type}", data)
    when = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
    return PartnerActivity(str(uuid.uuid4()), body.event_type, clinic, when, body)


async def _counted(sessions: db.SessionFactory, events: list[PartnerActivity]) -> dict[date, kpis.PeriodData]:
    clinic = events[0].clinic_id
    async with sessions() as session:
        session.add(KpiClinic(id=clinic, officer_id="officer", name="Clinic"))
        await session.commit()
        await aggregate.apply_activity_batch(session=session, activities=events)
        await session.commit()
        return await load_days(
            session=session,
            clinic_id=clinic,
            start=MONDAY - timedelta(days=60),
            end=MONDAY + timedelta(days=60),
        )


def _week(days: dict[date, kpis.PeriodData], monday: date) -> kpis.PeriodData:
    return kpis.group_periods(days, "week").get(iso_week(monday), kpis.PeriodData())


def test_the_new_fields_are_optional_dated_yyyy_mm_dd_and_checked_on_both_paths() -> None:
    # Old bodies still parse: every new field is optional.
    assert parse_body("partner.appointment.booked", {}).appointment_date is None  # type: ignore[attr-defined]
    assert parse_body("partner.claim.denied", {}).submitted_on is None  # type: ignore[attr-defined]
    booked = parse_body("partner.appointment.booked", {"appointment_date": "2026-11-20"})
    from_bytes = parse_body("partner.appointment.booked", b'{"appointment_date": "2026-11-20"}')
    assert booked == from_bytes and booked.appointment_date == date(2026, 11, 20)  # type: ignore[attr-defined]
    for wrong in ("20261120", "2026-11-31", "2026-W47-1", 1763596800, "2026-11-20T10:00:00"):
        with pytest.raises(PartnerEventInvalid, match="appointment_date"):
            parse_body("partner.appointment.no_show", {"appointment_date": wrong})
    request = parse_body("partner.appointment.requested", {"channel": "web", "new_patient": True})
    assert request.new_patient is True  # type: ignore[attr-defined]
    with pytest.raises(PartnerEventInvalid, match="patient_name: not allowed: looks like patient data"):
        parse_body("partner.followup.completed", {"patient_name": "Jane"})
    assert (
        parse_body("partner.followup.completed", {"channel": "phone"}).event_type
        == "partner.followup.completed"
    )


async def test_no_shows_count_on_the_visits_date_over_the_visits_booked_for_it(
    kpi_sessions: db.SessionFactory,
) -> None:
    clinic = uuid.uuid4()
    next_monday = MONDAY + timedelta(days=7)
    events = [
        # Booked in W45 for visits in W46 (4), one for W45 itself, one without a date (its own day, W45).
        *(_event(clinic, MONDAY, "appointment.booked", {"appointment_date": "2026-11-10"}) for _ in range(4)),
        _event(clinic, MONDAY, "appointment.booked", {"appointment_date": "2026-11-04"}),
        _event(clinic, MONDAY + timedelta(days=1), "appointment.booked", {}),
        # A visit date years away is a mistake: it counts on the booking's own day (W45).
        _event(clinic, MONDAY, "appointment.booked", {"appointment_date": "2029-01-01"}),
        # One W46 visit missed, reported the day after it.
        _event(
            clinic, next_monday + timedelta(days=2), "appointment.no_show", {"appointment_date": "2026-11-10"}
        ),
    ]
    days = await _counted(kpi_sessions, events)
    no_show = kpis.definition("no_show_rate")
    w45, w46 = _week(days, MONDAY), _week(days, next_monday)
    # W45: 3 visits (11-04, the undated one, the mistaken one), no no-show. W46: 1 of 4 visits.
    assert kpis.compute_kpi(no_show, w45) == kpis.KpiValue(0.0, 3)
    assert kpis.compute_kpi(no_show, w46) == kpis.KpiValue(0.25, 4)
    assert kpis.week_counts(no_show, w46) == WeekCounts(events=1, total=4)
    # Bookings made still count on their own day, for conversion and the feed's health.
    assert w45.counters["appointments_booked"] == 7 and w46.counters["appointments_booked"] == 0


async def test_referrals_and_denials_count_on_their_send_and_submission_dates(
    kpi_sessions: db.SessionFactory,
) -> None:
    clinic = uuid.uuid4()
    later = MONDAY + timedelta(days=20)  # 11-22, W47's Sunday
    events = [
        *(_event(clinic, MONDAY, "referral.sent", {}) for _ in range(5)),
        # Completed 20 days after being sent: on W45's Monday (11-02). 9 days: on W46's Friday (11-13).
        *(_event(clinic, later, "referral.completed", {"days": 20}) for _ in range(2)),
        _event(clinic, later, "referral.completed", {"days": 9}),
        # 31 days: beyond the 30-day window, not in the rate.
        _event(clinic, later + timedelta(days=11), "referral.completed", {"days": 31}),
        *(_event(clinic, MONDAY + timedelta(days=2), "claim.submitted", {}) for _ in range(8)),
        _event(clinic, later, "claim.denied", {"submitted_on": "2026-11-04"}),
        _event(clinic, later, "claim.denied", {"submitted_on": "2026-09-01"}),  # 81 days: outside
        _event(clinic, MONDAY + timedelta(days=3), "claim.denied", {}),  # no date: its own day (W45)
        _event(clinic, MONDAY, "claim.denied", {"submitted_on": "2026-11-05"}),  # after it: its own day
    ]
    days = await _counted(kpi_sessions, events)
    w45 = _week(days, MONDAY)
    referral = kpis.compute_kpi(kpis.definition("referral_completion_rate"), w45)
    assert referral == kpis.KpiValue(2 / 5, 5)
    assert _week(days, MONDAY + timedelta(days=7)).counters["referrals_completed_within_30_days"] == 1
    denial = kpis.compute_kpi(kpis.definition("claim_denial_rate"), w45)
    assert denial == kpis.KpiValue(3 / 8, 8)
    # The event-day counters, read by the feeds' health, are untouched.
    assert _week(days, later).counters["referrals_completed"] == 3


def test_a_lagged_week_is_final_once_its_lag_has_passed() -> None:
    referral = kpis.definition("referral_completion_rate")
    assert referral.lag_weeks == 5
    weeks = ["2026-W45", "2026-W46", "2026-W47"]
    # W45's last day is 11-08; a referral sent then completes within 30 days by 12-08 (W50's Tuesday):
    # final once W50 is over, on W51's Monday (12-14), not on W50's Sunday.
    assert kpis.final_weeks(referral, weeks, as_of=date(2026, 12, 13)) == []
    assert kpis.final_weeks(referral, weeks, as_of=date(2026, 12, 14)) == ["2026-W45"]
    assert kpis.final_weeks(kpis.definition("missed_call_rate"), weeks, as_of=date(2026, 11, 16)) == weeks


def test_self_scheduled_share_new_patient_requests_and_follow_ups_on_hand_counts() -> None:
    data = kpis.PeriodData()
    events: list[tuple[str, dict[str, Any]]] = [
        *[("partner.appointment.booked", {"channel": "web"})] * 3,
        ("partner.appointment.booked", {"channel": "portal"}),
        *[("partner.appointment.booked", {"channel": "phone"})] * 5,
        ("partner.appointment.booked", {}),
        *[("partner.appointment.requested", {"new_patient": True})] * 4,
        ("partner.appointment.requested", {"new_patient": False}),
        ("partner.appointment.requested", {}),
        *[("partner.followup.completed", {})] * 6,
    ]
    for event_type, body in events:
        for name, value in kpis.counters_for(parse_body(event_type, body)):
            data.counters[name] += value
    share = kpis.definition("self_scheduled_share")
    assert kpis.compute_kpi(share, data) == kpis.KpiValue(4 / 10, 10)
    requests = kpis.definition("new_patient_requests")
    assert kpis.compute_kpi(requests, data) == kpis.KpiValue(4.0, 4)
    assert kpis.week_counts(requests, data) == WeekCounts(events=4, total=1)
    followups = kpis.definition("followups_completed")
    # A count is a pace per week: 6 in a week; 6 in one day is 42 a week; in a 14-day window, 3.
    assert kpis.compute_kpi(followups, data).value == 6.0
    assert kpis.compute_kpi(followups, data, period_days=1).value == 42.0
    days = {MONDAY: data}
    baseline = kpis.baseline_value(followups, days, start=MONDAY, end=MONDAY + timedelta(days=13))
    assert baseline.value == 3.0
    # A clinic whose feeds sent something else is a real zero; one that sent nothing is no data.
    quiet = kpis.PeriodData()
    quiet.counters["calls_answered"] = quiet.counters["events"] = 1
    assert kpis.compute_kpi(followups, quiet) == kpis.KpiValue(0.0, 0)
    assert kpis.compute_kpi(followups, kpis.PeriodData()).value is None


def test_admin_work_is_measured_by_a_time_audit_not_by_tool_usage() -> None:
    admin = kpis.definition("task_hours_per_week")
    data = kpis.PeriodData()
    data.counters["ai_sessions"] = data.counters["events"] = 5
    value = kpis.compute_kpi(admin, data)
    assert value.value is None and value.no_data is not None and "audit" in value.no_data
    assert kpis.week_counts(admin, data) is None
