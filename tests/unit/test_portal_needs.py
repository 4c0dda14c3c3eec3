"""What needs the officer (services/portal/pages/needs.py): one list, decided from the read model,
that the portfolio counts, Today lists and the clinic page names; settled by a decision, a dismissal
(undone) or a snooze (until a date)."""

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from services.portal.pages import needs, rules, wording
from services.portal.pages.activity import Activity
from services.portal.read_model.models import PortalClinicActivity
from tests.unit.test_portal_pages import Portal, add_plan, portal  # noqa: F401 (the fixture)

NOW = datetime(2026, 11, 27, 15, tzinfo=UTC)
TODAY = NOW.date()


def clinic(name: str) -> Any:
    return SimpleNamespace(id=uuid4(), name=name, specialty="ortho", time_zone="UTC")


def plan(clinic_id: UUID, phase: str = "evaluation") -> Any:
    return SimpleNamespace(
        id=f"plan-{clinic_id.hex[:6]}", clinic_id=clinic_id, phase=phase, phase_since=NOW - timedelta(days=3)
    )


def weeks(*shares: int) -> list[list[Any]]:
    """Adoption weeks: AI-assisted notes of 80, oldest first."""
    return [[f"2026-W{40 + index}", 80, share, 3] for index, share in enumerate(shares)]


def inputs(clinics: list[Any], **facts: Any) -> needs.Inputs:
    empty: dict[str, Any] = {
        "plans": {},
        "gate_notices": {},
        "escalations": [],
        "alerts": [],
        "activities": {},
        "audits": {},
        "settled": {},
    }
    return needs.Inputs(clinics={c.id: c for c in clinics}, **{**empty, **facts})


def alert(clinic_id: UUID, kind: str, kpi: str = "ai_adoption_rate") -> Any:
    return SimpleNamespace(
        id=uuid4(),
        clinic_id=clinic_id,
        kind=kind,
        kpi=kpi,
        week="2026-W47",
        message="fell below its control limit",
        evidence={},
        raised_at=NOW - timedelta(days=2),
    )


def settled(how: str, until: date | None = None) -> Any:
    return SimpleNamespace(how=how, until=until)


def test_each_kind_of_need_carries_its_reason_most_urgent_first() -> None:
    gate, fading, silent, thin = clinic("Gate"), clinic("Fading"), clinic("Silent"), clinic("Thin")
    audit = SimpleNamespace(
        clinic_id=thin.id,
        audit_id=uuid4(),
        low_confidence=False,
        staff_logged=5,
        staff_expected=10,
        missing_staff=["rn-3"],
        completed_at=NOW,
    )
    overdue = SimpleNamespace(kind="decision_overdue", message="decide now", due_at=NOW, raised_at=NOW)
    found = needs.decide(
        inputs(
            [gate, fading, silent, thin],
            plans={gate.id: plan(gate.id)},
            gate_notices={plan(gate.id).id: [overdue]},
            activities={
                fading.id.hex: Activity(TODAY, [], weeks(48, 52, 30, 26)),
                # Dead for 22 days; its last weeks rose: a feed outage, not a rise (nor a fall).
                silent.id.hex: Activity(TODAY - timedelta(days=22), [], weeks(20, 20, 40, 40)),
            },
            audits={thin.id: audit},
            alerts=[alert(gate.id, "target_regression", kpi="missed_call_rate")],
        ),
        now=NOW,
    )
    assert [need.reason for need in found.of(gate.id)] == [
        "gate decision overdue",
        "missed call rate moving away from its target",
    ]
    assert [need.reason for need in found.of(fading.id)] == ["adoption falling"]
    assert "fell 44 %" in found.of(fading.id)[0].detail
    assert [need.reason for need in found.of(silent.id)] == ["partner feed quiet (last event 22 days ago)"]
    assert [(need.reason, need.detail.split(" —")[0]) for need in found.of(thin.id)] == [
        ("audit coverage low", "5 of 10 staff logged; missing: rn-3")
    ]
    assert len(found.items) == 5
    assert not needs.adoption_judged(rules.feed_health(TODAY - timedelta(days=22), [], today=TODAY))


def test_kpis_decline_alert_is_the_decline_and_a_steady_clinic_needs_nothing() -> None:
    fading, steady = clinic("Fading"), clinic("Steady")
    found = needs.decide(
        inputs(
            [fading, steady],
            alerts=[alert(fading.id, "adoption_decline")],
            activities={
                fading.id.hex: Activity(TODAY, [], weeks(48, 52, 30, 26)),
                steady.id.hex: Activity(TODAY, [], weeks(40, 41, 40, 40)),
            },
        ),
        now=NOW,
    )
    [decline] = found.of(fading.id)
    assert decline.key.startswith("alert:") and "2026-W47" in decline.detail  # one decline, not two
    assert found.of(steady.id) == [] and steady.id not in found.by_clinic


def test_a_decided_gate_leaves_at_once_and_the_next_gate_is_new() -> None:
    at_gate = clinic("Gate")
    current = plan(at_gate.id)
    facts = {"plans": {at_gate.id: current}}
    decided = inputs([at_gate], **facts, settled={needs.gate_key(current): settled(needs.DECIDED)})
    assert needs.decide(decided, now=NOW).items == []
    assert needs.decide(decided, now=NOW).set_aside == []  # a decision is not undone on Today
    extended = SimpleNamespace(**{**vars(current), "phase_since": NOW})  # back at the gate after an extension
    again = inputs([at_gate], plans={at_gate.id: extended}, settled=decided.settled)
    assert [need.reason for need in needs.decide(again, now=NOW).items] == ["gate decision due"]


def test_a_dismissed_need_is_set_aside_and_a_snooze_ends_on_its_day() -> None:
    fading = clinic("Fading")
    facts = {"activities": {fading.id.hex: Activity(TODAY, [], weeks(48, 52, 30, 26))}}
    [need] = needs.decide(inputs([fading], **facts), now=NOW).items
    dismissed = needs.decide(inputs([fading], **facts, settled={need.key: settled(needs.DISMISSED)}), now=NOW)
    assert dismissed.items == [] and [entry.need for entry in dismissed.set_aside] == [need]
    until = TODAY + timedelta(days=3)
    snoozed = inputs([fading], **facts, settled={need.key: settled(needs.SNOOZED, until)})
    assert needs.decide(snoozed, now=NOW).set_aside[0].until == until
    assert needs.decide(snoozed, now=NOW + timedelta(days=2)).items == []
    assert needs.decide(snoozed, now=NOW + timedelta(days=3)).items == [need]


async def add_quiet_feed(to: Portal, clinic_id: UUID) -> None:
    async with to.sessions() as session:
        last = datetime.now(UTC).date() - timedelta(days=22)
        session.add(
            PortalClinicActivity(clinic_id=clinic_id, as_of=last, last_event_day=last, feeds=[], adoption=[])
        )
        await session.commit()


def reasons_on(page: str) -> list[str]:
    return re.findall(r'class="reason">([^<]+)<', page)


async def test_the_portfolio_today_and_the_clinic_page_read_the_same_needs(portal: Portal) -> None:  # noqa: F811
    await portal.sign_in("officer-a")
    clinic_id, _initiative, _plan_id = await add_plan(portal, "officer-a")
    await add_quiet_feed(portal, clinic_id)
    portfolio = (await portal.http.get("/portfolio")).text
    assert re.search(r'id="needing">1<', portfolio) and re.search(r'class="n">2<', portfolio)
    today = (await portal.http.get("/today")).text
    assert "2 items need you" in today
    clinic_page = (await portal.http.get(f"/clinics/{clinic_id}")).text
    expected = ["gate decision due", "partner feed quiet (last event 22 days ago)"]
    assert reasons_on(portfolio) == expected and reasons_on(clinic_page) == expected
    assert "Partner feed quiet (last event 22 days ago)" in today
    assert "— feed silent" in portfolio  # not a trend read from a dead feed


async def test_stop_asks_first_and_a_decided_gate_leaves_today_at_once(portal: Portal) -> None:  # noqa: F811
    csrf = await portal.sign_in("officer-a")
    _clinic, _initiative, plan_id = await add_plan(portal, "officer-a")
    asked = await portal.http.post(f"/plans/{plan_id}/decision", data={"csrf_token": csrf, "action": "stop"})
    assert asked.status_code == 200 and "Stop this plan?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text and portal.roadmap.requests == []
    portal.roadmap.status, portal.roadmap.body = 202, {"plan_id": plan_id, "result": "stopped"}
    done = await portal.http.post(
        f"/plans/{plan_id}/decision", data={"csrf_token": csrf, "action": "stop", "confirmed": "yes"}
    )
    assert done.status_code == 303 and len(portal.roadmap.requests) == 1
    today = (await portal.http.get("/today")).text
    assert (
        f"gate-{plan_id}" not in today and "0 items need you" in today
    )  # the plan is still at the gate here
    assert 'id="needing">0<' in (await portal.http.get("/portfolio")).text


async def test_a_dismissed_item_comes_back_on_undo_and_a_snooze_needs_a_day_ahead(portal: Portal) -> None:  # noqa: F811
    csrf = await portal.sign_in("officer-a")
    clinic_id, _initiative, _plan = await add_plan(portal, "officer-a")
    await add_quiet_feed(portal, clinic_id)
    today = (await portal.http.get("/today")).text
    [key] = re.findall(r'name="key" value="(feed:[^"]+)"', today)[:1]
    await portal.http.post("/today/dismiss", data={"csrf_token": csrf, "key": key})
    dismissed = (await portal.http.get("/today")).text
    assert "1 item needs you" in dismissed and 'id="set-aside"' in dismissed
    await portal.http.post("/today/undo", data={"csrf_token": csrf, "key": key})
    assert "2 items need you" in (await portal.http.get("/today")).text
    refused = await portal.http.post(
        "/today/dismiss", data={"csrf_token": csrf, "key": key, "until": TODAY.isoformat()}
    )
    assert refused.status_code == 422 and "until: pick a day after today" in refused.text
    later = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    await portal.http.post("/today/dismiss", data={"csrf_token": csrf, "key": key, "until": later})
    snoozed = (await portal.http.get("/today")).text
    assert "1 item needs you" in snoozed and "snoozed until" in snoozed


def test_texts_from_other_services_read_without_ids_or_command_lines() -> None:
    officer = SimpleNamespace(officer_id="9b2c6a8e-7f3d-4c1a-9e55-0d4f8b7a6c21", officer_name="Dana Reyes")
    decided = f"officer decided to continue at the gate ({officer.officer_id})"
    assert wording.readable(decided, officer) == "officer decided to continue at the gate (Dana Reyes)"
    assert wording.readable(decided) == "officer decided to continue at the gate"
    advice = "Run the one-week task audit (`faio audit`) so volumes are measured; then `faio plan show`"
    assert (
        wording.without_commands(advice)
        == "Run the one-week task audit so volumes are measured; then the portal"
    )
    suggested = "next initiative suggested: scheduling (5e391d89-1785-57cf-a64b-ce26c4dd5bfb)"
    assert wording.without_commands(suggested) == "next initiative suggested: scheduling"
    assert wording.without_commands(3) == 3
