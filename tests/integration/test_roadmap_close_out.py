"""A plan from approval to its close-out report, on the real broker and Temporal server with the real
worker: the pilot waits for a baseline until the officer enters one through the API (an empty one is
refused naming the field), the gate (a pilot of seconds holds no complete week) says it cannot judge
yet, and once done the close-out report (JSON and page) holds the baseline, the result measured over
the weeks after the pilot, the gate and the money."""

import uuid
from typing import Any

import pytest

from services.roadmap.models import Initiative
from shared.events.kpi import KpiSnapshot, WeekCounts
from tests.integration.test_roadmap_api import auth, clinic_with_findings, initiatives_of, publish, roadmap
from tests.polling import eventually
from tests.services import Platform

__all__ = ["roadmap"]  # the module's roadmap service and worker

SECOND = 1 / 86_400  # phase lengths are in days
KPI = "messages_answered_within_business_day"


async def test_a_plan_waits_for_its_baseline_then_closes_with_its_report(roadmap: Platform) -> None:
    platform = roadmap
    http = platform["roadmap"].http
    headers = auth(platform)
    clinic_id = await clinic_with_findings(platform, systems={"emr": "athenahealth", "phone": "RingCentral"})
    body = await initiatives_of(http, clinic_id, headers)
    messaging = next(item for item in body["initiatives"] if item["kpi"] == KPI)
    approval = {
        "owner": "fd-lead-1",
        "target_change_pct": 25,
        "phase_days": {
            "baseline": 4 * SECOND,
            "preparation": 2 * SECOND,
            "pilot": 12 * SECOND,
            "rollout": 8 * SECOND,
            "sustain": 8 * SECOND,
        },
        "tool_cost": {"monthly": 433.33, "setup": 1000},
    }
    approved = await http.post(f"/v1/initiatives/{messaging['id']}/approve", json=approval, headers=headers)
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]
    assert "without one the pilot will not start" in " ".join(approved.json()["review"]["warnings"])
    # Staff were told and trained (the buy-in rule for leaving preparation), so only the baseline holds it.
    buy_in = f"/v1/plans/{plan_id}/buy-in"
    told = await http.post(
        f"{buy_in}/communications",
        json={"kind": "why_we_change", "audiences": ["all_staff"]},
        headers=headers,
    )
    assert told.status_code == 201, told.text
    trained = await http.post(
        f"{buy_in}/trainings", json={"status": "held", "attendees": ["fd-1", "fd-2"]}, headers=headers
    )
    assert trained.status_code == 201, trained.text

    running = await http.get(f"/v1/plans/{plan_id}/close-out", headers=headers)
    assert running.status_code == 409
    assert "once the plan is done or stopped" in running.json()["detail"]

    async def live(check: Any, what: str) -> dict[str, Any]:
        async def ready() -> dict[str, Any] | None:
            plan: dict[str, Any] = (await http.get(f"/v1/plans/{plan_id}", headers=headers)).json()
            return plan if plan.get("live") and check(plan) else None

        found: dict[str, Any] = await eventually(ready, within=60, what=what)
        return found

    held = await live(lambda plan: plan["live"]["awaiting_baseline"], "the pilot held for a baseline")
    assert held["phase"] == "preparation"
    assert any("the pilot cannot start" in notice["message"] for notice in held["notices"])

    empty = await http.post(f"/v1/plans/{plan_id}/baseline", json={}, headers=headers)
    assert empty.status_code == 422
    assert empty.json()["detail"].startswith("baseline: a pilot needs a baseline")
    assert "no_baseline_reason" in empty.json()["detail"]
    stranger = await http.post(
        f"/v1/plans/{plan_id}/baseline",
        json={"no_baseline_reason": "x"},
        headers=auth(platform, "officer-else"),
    )
    assert stranger.status_code == 404
    entered = await http.post(
        f"/v1/plans/{plan_id}/baseline",
        # A message a second: the 4-second baseline phase stands for 4 messages, half answered in a day.
        json={"baseline": {"source": "emr_report", "value": 0.5, "weekly_volume": 7 * 86_400}},
        headers=headers,
    )
    assert entered.status_code == 200, entered.text
    assert entered.json()["baseline_source"] == "emr_report"

    await live(lambda plan: plan["phase"] == "pilot", "the pilot to start")
    gate = await live(lambda plan: plan["live"]["awaiting_decision"], "the gate")
    evidence = gate["live"]["gate_evidence"]
    # Twelve seconds of pilot hold no complete week: the gate says so rather than guess.
    assert (evidence["outcome"], evidence["n_pilot"], evidence["estimate_pct"]) == ("inconclusive", 0, None)
    assert "0 complete pilot weeks" in evidence["summary"]
    [money] = gate["money_at_gates"]
    assert money["effect_pct"] is None and "nothing to price" in money["note"]
    decided = await http.post(
        f"/v1/plans/{plan_id}/decisions", json={"action": "continue", "note": "keep going"}, headers=headers
    )
    assert decided.status_code == 202, decided.text

    await live(lambda plan: plan["phase"] in ("rollout", "sustain"), "the rollout")
    # Two weeks after the pilot: 64 % and 66 % of 400 messages answered within a business day.
    for week, answered in (("2027-W05", 256), ("2027-W06", 264)):
        snapshot = KpiSnapshot(
            clinic_id=clinic_id,
            kpi=KPI,
            week=week,
            value=answered / 400,
            baseline=0.5,
            sample_size=400,
            counts=WeekCounts(events=answered, total=400),
        )
        await publish(platform, snapshot, clinic_id)
    await live(
        lambda plan: len(plan["live"]["outcome_weeks"]) == 2, "the weeks after the pilot to reach the plan"
    )
    await live(lambda plan: plan["phase"] == "done", "the plan to finish")

    report_response = await http.get(f"/v1/plans/{plan_id}/close-out", headers=headers)
    assert report_response.status_code == 200, report_response.text
    report = report_response.json()
    assert report["outcome"] == "done" and report["complete"]
    assert report["baseline"]["source"] == "emr_report" and report["baseline"]["value"] == 0.5
    # The weeks' geometric mean, 64.99 % of messages, against 50 %: +30 % (the weekly log rates add
    # half an event to each count, which moves it by a tenth of a point).
    result = report["result"]
    assert result["estimate_pct"] == pytest.approx(30.0, abs=0.25)
    assert result["ci_low_pct"] < result["estimate_pct"] < result["ci_high_pct"]
    [gate_record] = report["gates"]
    assert gate_record["estimate_pct"] is None and "keep going" in gate_record["decision"]
    assert report["money"]["realized"]["effect_pct"] == result["estimate_pct"]
    assert report["money"]["expected_at_approval"]["tool_cost_per_week"] == 100.0  # 433.33 a month
    assert report["learned"][0].startswith(f"After the pilot, {KPI} changed {result['estimate_pct']:+.1f} %")
    page = await http.get(f"/v1/plans/{plan_id}/close-out.html", headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Baseline and result" in page.text and f"{result['estimate_pct']:+.1f} %" in page.text
    async with platform["roadmap"].runtime.sessions() as session:
        initiative = await session.get(Initiative, (clinic_id, uuid.UUID(messaging["id"])))
        assert initiative is not None
        assert initiative.review["baseline"]["entered_on_running_plan"] is True
