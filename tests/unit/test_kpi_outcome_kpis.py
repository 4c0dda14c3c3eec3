"""Outcome KPIs for billing, insurance verification and referral coordination, from their partner events."""

from datetime import date
from typing import Any

import pytest

from services.kpi import alert_rules, kpis
from shared.events.partner import PartnerEventInvalid, parse_body


def _period(*events: tuple[str, dict[str, Any]]) -> kpis.PeriodData:
    """Every event on one day, its cohort counters (on whatever day) summed into the same period."""
    data = kpis.PeriodData()
    for event_type, body in events:
        parsed = parse_body(event_type, body)
        for name, value in kpis.counters_for(parsed):
            data.counters[name] += value
        for _, name, value in kpis.dated_counters(parsed, date(2026, 11, 30)):
            data.counters[name] += value
    return data


def test_minutes_per_eligibility_check() -> None:
    data = _period(
        ("partner.eligibility.checked", {"minutes": 6.0}),
        ("partner.eligibility.checked", {"minutes": 4.5, "automated": True}),
        ("partner.eligibility.checked", {"minutes": 3.0, "automated": True}),
    )
    value = kpis.compute_kpi(kpis.definition("minutes_per_eligibility_check"), data)
    assert (value.value, value.sample_size) == (4.5, 3)
    assert data.counters["eligibility_checks_automated"] == 2


def test_claim_denial_and_referral_completion_rates() -> None:
    claims = _period(*[("partner.claim.submitted", {})] * 20, *[("partner.claim.denied", {})] * 3)
    assert kpis.compute_kpi(kpis.definition("claim_denial_rate"), claims).value == pytest.approx(0.15)
    referrals = _period(
        *[("partner.referral.sent", {})] * 10, *[("partner.referral.completed", {"days": 9})] * 7
    )
    completion = kpis.compute_kpi(kpis.definition("referral_completion_rate"), referrals)
    assert completion.value == pytest.approx(0.7) and completion.sample_size == 10
    assert referrals.counters["referral_days"] == 63
    empty = kpis.compute_kpi(kpis.definition("claim_denial_rate"), kpis.PeriodData())
    assert empty.value is None and empty.no_data == "no claims_submitted in this period"


def test_outcome_events_refuse_patient_data_and_feed_their_own_stale_check() -> None:
    with pytest.raises(
        PartnerEventInvalid, match="insurance_member_id: not allowed: looks like patient data"
    ):
        parse_body("partner.eligibility.checked", {"minutes": 3.0, "insurance_member_id": "X1"})
    assert alert_rules.KPI_FEEDS["claim_denial_rate"] == "claims"
    assert "claims_denied" in alert_rules.FEED_COUNTERS["claims"]
