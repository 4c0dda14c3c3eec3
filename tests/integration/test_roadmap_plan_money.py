"""The money loop closes after approval, on the real broker, Temporal server and worker: a plan approved
before its vendor was chosen is unpriced; choosing a per-encounter vendor prices it on the plan page and
the practice report, projected from the audit's count of the work; a baseline entered by hand on the
running plan prices it on its volume, and the feed's baseline weeks, relayed through Kafka, then on the
measured one."""

import uuid
from typing import Any

import pytest

from services.roadmap.initiatives.pricing import WEEKS_PER_MONTH
from shared.events.kpi import KpiSnapshot, WeekCounts
from tests.integration.test_roadmap_api import (
    DEFAULT_CANDIDATES,
    auth,
    clinic_with_findings,
    initiatives_of,
    publish,
    roadmap,
)
from tests.polling import eventually
from tests.services import Platform
from tests.unit.test_plan_repricing import PER_NOTE, PER_NOTE_SCRIBE

__all__ = ["roadmap"]  # the module's roadmap service and worker

KPI = "documentation_minutes_per_note"
NOTES_AUDITED = 420  # the audit's documentation tasks a week


def weekly_cost(notes_per_week: float) -> float:
    return PER_NOTE * round(notes_per_week * WEEKS_PER_MONTH) / WEEKS_PER_MONTH


async def test_a_vendor_chosen_after_approval_prices_the_running_plan(roadmap: Platform) -> None:
    platform = roadmap
    http = platform["roadmap"].http
    headers = auth(platform)
    documentation, *others = DEFAULT_CANDIDATES
    audited = documentation.model_copy(update={"occurrences_per_week": NOTES_AUDITED})
    clinic_id = await clinic_with_findings(
        platform, systems={"emr": "athenahealth"}, candidates=(audited, *others)
    )
    scribe = next(item for item in (await initiatives_of(http, clinic_id, headers))["initiatives"])
    assert scribe["kpi"] == KPI

    approved = await http.post(
        f"/v1/initiatives/{scribe['id']}/approve",
        json={"owner": "pm-1", "target_change_pct": -20},
        headers=headers,
    )
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]
    plan_path, report_path = f"/v1/plans/{plan_id}", f"/v1/clinics/{clinic_id}/practice-report"

    async def plan_money() -> dict[str, Any]:
        plan = await http.get(plan_path, headers=headers)
        assert plan.status_code == 200, plan.text
        money: dict[str, Any] = plan.json()["review"]["money"]
        return money

    async def report_money() -> dict[str, Any]:
        report = await http.get(report_path, headers=headers)
        assert report.status_code == 200, report.text
        money: dict[str, Any] = report.json()["first"]["money"]
        return money

    unpriced = await plan_money()
    assert unpriced["tool_cost_per_week"] is None and unpriced["at_target"]["payback_weeks"] is None

    added = await http.post("/v1/catalog", json=PER_NOTE_SCRIBE, headers=headers)
    assert added.status_code == 201, added.text
    chosen = await http.put(
        f"/v1/initiatives/{scribe['id']}/vendor", json={"entry_id": added.json()["id"]}, headers=headers
    )
    assert chosen.status_code == 200, chosen.text

    for money in (await plan_money(), await report_money()):
        assert money["tool_cost_volume"] == "projected"
        assert money["tool_cost_per_week"] == pytest.approx(weekly_cost(NOTES_AUDITED), abs=0.01)
        assert money["at_target"]["payback_weeks"] is not None
        assert money["at_target"]["roi_12_months_pct"] is not None
        assert (
            f"projected from the audit's {NOTES_AUDITED} documentation tasks a week"
            in money["tool_cost_note"]
        )

    # A baseline entered by hand on the running plan, with its weekly volume: that volume prices it now.
    entered = await http.post(
        f"{plan_path}/baseline",
        json={"baseline": {"source": "emr_report", "value": 6.0, "weekly_volume": 300}},
        headers=headers,
    )
    assert entered.status_code == 200, entered.text
    for money in (await plan_money(), await report_money()):
        assert money["tool_cost_volume"] == "entered"
        assert money["tool_cost_per_week"] == pytest.approx(weekly_cost(300), abs=0.01)
        assert (
            "from the baseline's 300 a week (entered by hand from an EMR report)" in money["tool_cost_note"]
        )

    # The feed's baseline weeks arrive through Kafka: 380 and 398 notes, so 389 a week, measured.
    for week, notes in (("2027-W01", 380), ("2027-W02", 398)):
        snapshot = KpiSnapshot(
            clinic_id=clinic_id,
            initiative_id=uuid.UUID(scribe["id"]),
            kpi=KPI,
            week=week,
            value=6.0,
            sample_size=notes,
            counts=WeekCounts(events=6.0 * notes, total=notes),
            baseline_week=True,
        )
        await publish(platform, snapshot, clinic_id)

    async def measured() -> dict[str, Any] | None:
        money = await plan_money()
        return (
            money
            if money.get("tool_cost_volume") == "measured" and "389" in money["tool_cost_note"]
            else None
        )

    money = await eventually(measured, within=60, what="the plan priced on the baseline's measured volume")
    assert money["tool_cost_per_week"] == pytest.approx(weekly_cost(389), abs=0.01)
    assert "from the baseline's 389 a week (2 weeks measured)" in money["tool_cost_note"]
    assert (await report_money())["tool_cost_per_week"] == money["tool_cost_per_week"]
