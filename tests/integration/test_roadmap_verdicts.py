"""Verdicts through the APIs, on the real broker and Temporal server with the real kpi service and worker.

A phone pilot (an AI receptionist) that began six weeks ago is taken over by the officer: approved
with `pilot_started_on` and a 4-week baseline from the feed's history, kpi sends every week at once,
and the gate judges at once on the complete weeks between the pilot's start and today, with the
feed's real number of calls behind the baseline. Targets that cannot be met or read are a 422.
"""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from services.roadmap.plans.worker import create_worker
from shared import clock
from shared.calendar import iso_week
from tests.browser.story import candidate
from tests.integration.kpi_support import officer_headers, post_events
from tests.integration.test_roadmap_api import OFFICER, auth, clinic_with_findings
from tests.polling import eventually
from tests.services import Platform, running

BASELINE_WEEKS = 4
PILOT_WEEKS = 6
CALLS_A_DAY = 40  # 280 a week


@pytest.fixture(scope="module")
async def platform(
    kafka: str, temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """roadmap and kpi with a plan worker (each test uses its own clinic)."""
    tmp_path = tmp_path_factory.mktemp("verdicts")
    task_queue = f"verdicts-{uuid.uuid4()}"
    target = temporal.client.service_client.config.target_host
    async with running(
        "roadmap", "kpi", kafka=kafka, data_dir=tmp_path, temporal_address=target, task_queue=task_queue
    ) as started:
        for name in ("roadmap", "kpi"):
            await asyncio.wait_for(started[name].app.state.broker_connected.wait(), timeout=60)
        client = await Client.connect(target)
        async with create_worker(client, task_queue, started["roadmap"].runtime.sessions):
            yield started


def call_events(clinic_id: uuid.UUID, day: date, *, missed: int) -> list[dict[str, Any]]:
    """One day's calls: CALLS_A_DAY at noon UTC, `missed` of them missed."""
    at = datetime.combine(day, time(12), tzinfo=UTC)
    return [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": "partner.call.missed" if index < missed else "partner.call.answered",
            "time": (at + timedelta(seconds=index)).isoformat(),
            "subject": str(clinic_id),
            "data": {"wait_seconds": 30},
        }
        for index in range(CALLS_A_DAY)
    ]


async def phone_clinic(platform: Platform) -> tuple[uuid.UUID, dict[str, Any]]:
    """A clinic whose audit ranks phone work first, with a phone partner at kpi: (clinic id, initiative)."""
    clinic_id = await clinic_with_findings(
        platform,
        systems={"emr": "athenahealth", "phone": "RingCentral"},
        candidates=(candidate(1, "phone calls", 20, 1_000), candidate(2, "patient communication", 15, 600)),
    )
    http, headers = platform["roadmap"].http, auth(platform)

    async def phone_initiative() -> dict[str, Any] | None:
        reply = await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)
        found = [item for item in reply.json().get("initiatives", []) if item["kpi"] == "missed_call_rate"]
        return found[0] if reply.status_code == 200 and found else None

    initiative = await eventually(phone_initiative, what="a phone initiative")
    kpi = platform["kpi"]
    partner = await kpi.http.post(
        "/v1/partners",
        json={"name": "Acme Phones", "kind": "phone", "clinic_ids": [str(clinic_id)]},
        headers=officer_headers(kpi, OFFICER),
    )
    assert partner.status_code == 201, partner.text
    return clinic_id, {**initiative, "partner": partner.json()}


def pilot_start(today: date) -> date:
    """The Monday PILOT_WEEKS whole weeks before this week's."""
    return today - timedelta(days=today.weekday(), weeks=PILOT_WEEKS)


async def clinic_with_calls(platform: Platform) -> tuple[dict[str, Any], date, date]:
    """A phone clinic whose feed holds 30 % of calls missed before a pilot begun PILOT_WEEKS ago and
    15 % during it (each call by chance), counted by kpi: (initiative, pilot start, baseline start)."""
    clinic_id, initiative = await phone_clinic(platform)
    today = clock.now().astimezone(UTC).date()
    started = pilot_start(today)
    first = started - timedelta(weeks=BASELINE_WEEKS)
    chance = random.Random(23)
    events = []
    day = first
    while day < today:
        rate = 0.30 if day < started else 0.15
        events += call_events(clinic_id, day, missed=sum(chance.random() < rate for _ in range(CALLS_A_DAY)))
        day += timedelta(days=1)
    for chunk in range(0, len(events), 1_000):
        posted = await post_events(platform["kpi"], initiative["partner"], events[chunk : chunk + 1_000])
        assert posted.status_code in (200, 202), posted.text

    kpi = platform["kpi"]

    async def counted() -> bool:
        reply = await kpi.http.get(
            f"/v1/clinics/{clinic_id}/kpis",
            params={"granularity": "day", "kpi": "missed_call_rate", "start": first.isoformat()},
            headers=officer_headers(kpi, OFFICER),
        )
        points = reply.json()["kpis"][0]["points"] if reply.status_code == 200 else []
        counted: int = sum(point["sample_size"] for point in points)
        return counted == len(events)

    await eventually(counted, what="kpi to count the feed's calls", within=90)
    return initiative, started, first


async def judged_plan(
    platform: Platform, initiative: dict[str, Any], approval: dict[str, Any]
) -> dict[str, Any]:
    """Approve, then the plan's live status once its gate has judged."""
    http, headers = platform["roadmap"].http, auth(platform)
    approved = await http.post(f"/v1/initiatives/{initiative['id']}/approve", json=approval, headers=headers)
    assert approved.status_code == 201, approved.text
    plan_id = approved.json()["plan_id"]

    async def judged() -> dict[str, Any] | None:
        reply = await http.get(f"/v1/plans/{plan_id}", headers=headers)
        live = reply.json().get("live") or {}
        return live if (live.get("gate_evidence") or {}).get("outcome") else None

    return await eventually(judged, what="the gate's verdict on the pilot's weeks", within=90)


async def kpi_view(
    platform: Platform, initiative: dict[str, Any], ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """kpi's weekly view of the plan's KPI, once `ready` holds of it."""
    kpi = platform["kpi"]
    reply = await kpi.http.get(
        f"/v1/clinics/{initiative['clinic_id']}/kpis",
        params={"granularity": "week", "kpi": "missed_call_rate"},
        headers=officer_headers(kpi, OFFICER),
    )
    view: dict[str, Any] = reply.json()
    return view if reply.status_code == 200 and view.get("initiative") and ready(view) else None


async def test_a_pilot_under_way_is_judged_at_once_on_its_weeks_with_the_feeds_baseline(
    platform: Platform,
) -> None:
    initiative, started, _ = await clinic_with_calls(platform)
    http, headers = platform["roadmap"].http, auth(platform)
    approval = {
        "owner": "fd-lead-1",
        "target_change_pct": -50,
        "baseline_from_history_weeks": BASELINE_WEEKS,
        "pilot_started_on": started.isoformat(),
        "phase_days": {"pilot": 28},
    }
    live = await judged_plan(platform, initiative, approval)
    plan_id, evidence = live["plan_id"], live["gate_evidence"]
    weeks = [iso_week(started + timedelta(weeks=index)) for index in range(PILOT_WEEKS)]
    # Every complete week since the pilot began, by date; its first weeks are ramp-up, not judged.
    ramp = len(evidence["weeks_excluded_as_ramp_up"])
    assert [*evidence["weeks_excluded_as_ramp_up"], *evidence["pilot_weeks_used"]] == weeks and ramp < 4
    assert len(evidence["baseline_weeks_used"]) == BASELINE_WEEKS
    # The baseline is the feed's four weeks of calls, not one day's worth.
    assert evidence["n_baseline"] == BASELINE_WEEKS * 7 * CALLS_A_DAY
    assert evidence["n_pilot"] == (PILOT_WEEKS - ramp) * 7 * CALLS_A_DAY
    assert evidence["outcome"] == "pass", evidence["summary"]
    assert evidence["ci_low_pct"] < evidence["estimate_pct"] < evidence["ci_high_pct"] < 0
    plan = (await http.get(f"/v1/plans/{plan_id}", headers=headers)).json()
    phases = [(item["phase"], item["changed_at"][:10]) for item in plan["transitions"]]
    assert ("pilot", started.isoformat()) in phases
    assert plan["live"]["phase"] == "evaluation" and plan["live"]["awaiting_decision"]


async def test_a_target_of_the_wrong_sign_or_out_of_reach_is_refused_naming_the_field(
    platform: Platform,
) -> None:
    clinic_id, phone = await phone_clinic(platform)
    http, headers = platform["roadmap"].http, auth(platform)
    wrong_sign = await http.post(
        f"/v1/initiatives/{phone['id']}/approve",
        json={"owner": "fd-lead-1", "target_change_pct": 30},
        headers=headers,
    )
    assert wrong_sign.status_code == 422
    assert "target_change_pct" in wrong_sign.text and "better lower" in wrong_sign.text
    listed = (await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
    messaging = next(
        item for item in listed["initiatives"] if item["kpi"] == "messages_answered_within_business_day"
    )
    url = f"/v1/initiatives/{messaging['id']}/approve"
    # 80 % answered within a business day cannot rise by 30 %: that would be 104 %.
    hand = {"source": "emr_report", "value": 0.80, "weekly_volume": 300}
    beyond = await http.post(
        url, json={"owner": "fd-lead-1", "target_change_pct": 30, "baseline": hand}, headers=headers
    )
    assert beyond.status_code == 422
    assert "target_change_pct" in beyond.text and "+25" in beyond.text  # what is achievable
    # A share typed as a percentage (80, not 0.80) is refused too.
    as_percent = await http.post(
        url,
        json={"owner": "fd-lead-1", "target_change_pct": 10, "baseline": hand | {"value": 80}},
        headers=headers,
    )
    assert as_percent.status_code == 422 and "baseline.value" in as_percent.text
    after = (await http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
    assert all(item["status"] == "proposed" for item in after["initiatives"])  # nothing was approved


async def test_a_target_in_points_is_read_against_the_feeds_baseline_and_locked_at_the_pilot(
    platform: Platform,
) -> None:
    initiative, started, _ = await clinic_with_calls(platform)
    approval = {
        "owner": "fd-lead-1",
        "target_change_points": -12,  # from about 30 % of calls missed to about 18 %
        "baseline_from_history_weeks": BASELINE_WEEKS,
        "pilot_started_on": started.isoformat(),
        "phase_days": {"pilot": 28},
    }
    live = await judged_plan(platform, initiative, approval)
    baseline = live["baseline_value"]
    assert live["baseline_source"] == "partner_feed" and 0.25 < baseline < 0.35
    # The points became the relative change from the feed's measured baseline, not the provisional one.
    expected = round(-12 / 100 / baseline * 100, 2)
    assert live["target_change_pct"] == pytest.approx(expected)
    assert not live["target_pending"] and not live["target_problem"]
    percent = f"{baseline * 100:.1f}".removesuffix(".0")
    reached = f"{(baseline - 0.12) * 100:.1f}".removesuffix(".0")
    assert live["target_in_values"] == f"{percent} % → {reached} % of calls"
    read = [entry for entry in live["target_history"] if entry.get("given_as")]
    assert read and read[-1]["target_change_pct"] == pytest.approx(expected)
    assert read[-1]["given_as"] == "-12 percentage points"
    evidence = live["gate_evidence"]
    assert evidence["target_pct"] == pytest.approx(expected)
    assert evidence["outcome"] == "pass", evidence["summary"]  # 30 % -> 15 % reaches -12 points
    # kpi was told: its chart and progress use the target the plan read, not the provisional one.
    seen = await eventually(
        lambda: kpi_view(
            platform, initiative, lambda view: view["initiative"]["target_change_pct"] == expected
        ),
        what="kpi to hear the plan's target",
        within=60,
    )
    assert seen["initiative"]["target_problem"] == ""
    (series,) = seen["kpis"]
    assert series["baseline"] == pytest.approx(baseline)
    assert series["target"] == pytest.approx(baseline - 0.12, abs=1e-4)  # the change kept to 0.01 %


async def test_a_target_in_points_out_of_reach_of_the_feeds_baseline_is_an_inconclusive_gate(
    platform: Platform,
) -> None:
    initiative, started, _ = await clinic_with_calls(platform)
    approval = {
        "owner": "fd-lead-1",
        "target_change_points": -40,  # about 30 % cannot fall by 40 points
        "baseline_from_history_weeks": BASELINE_WEEKS,
        "pilot_started_on": started.isoformat(),
        "phase_days": {"pilot": 28},
    }
    live = await judged_plan(platform, initiative, approval)
    assert "target_change_points" in live["target_problem"] and live["target_in_values"] == ""
    evidence = live["gate_evidence"]
    assert evidence["outcome"] == "inconclusive"
    assert "cannot be met from the measured baseline" in evidence["summary"]
    # The workflow did not fail: it waits for the officer's decision like any inconclusive gate.
    assert live["phase"] == "evaluation" and live["awaiting_decision"]
    # kpi draws no target it cannot reach, and says why.
    seen = await eventually(
        lambda: kpi_view(platform, initiative, lambda view: bool(view["initiative"]["target_problem"])),
        what="kpi to hear the target is out of reach",
        within=60,
    )
    assert "target_change_points" in seen["initiative"]["target_problem"]
    assert seen["kpis"][0]["target"] is None
