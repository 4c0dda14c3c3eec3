"""The demo tells the same story on every day: its partner events, counted and judged by kpi's own
code (the aggregator, the clinic watch and its charts), show the fading clinic's adoption decline and
the quiet clinic's dead feed whatever the weekday, the hour, the year's end or a daylight-saving change.
"""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from deploy.demo.portfolio import (
    BASELINE_WEEKS,
    CLINICIANS,
    PILOT_DAYS,
    PILOT_GROUP,
    PILOT_WEEKS_AGO,
    STAGES,
    audit_log,
    demo_days,
    demo_events,
    headcounts,
    portfolio,
    roster,
)
from services.kpi import alert_rules
from services.kpi.aggregate import apply_activity_batch
from services.kpi.clinic_watch import load_feed_window
from services.kpi.evaluation import evaluate_clinic
from services.kpi.models import KpiAlertRecord, KpiClinic
from services.roadmap.plans import gate
from services.roadmap.plans.contracts import ClinicianReading, WeekReading
from shared import clock, db
from shared.calendar import iso_week
from shared.events.partner import parse_http_event
from tests.clock_dates import DATES


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
async def test_the_fading_clinic_shows_a_decline_and_the_quiet_one_a_dead_feed(
    kpi_sessions: db.SessionFactory, instant: datetime
) -> None:
    clinics = portfolio(len(STAGES))
    fading = next(clinic for clinic in clinics if clinic.feed == "fading")
    quiet = next(clinic for clinic in clinics if clinic.feed == "quiet")
    zone = ZoneInfo("America/New_York")
    ids = {clinic.feed: uuid4() for clinic in (fading, quiet)}
    with clock.set_to(instant):
        async with kpi_sessions() as session:
            for clinic in (fading, quiet):
                clinic.id = str(ids[clinic.feed])
                session.add(KpiClinic(id=ids[clinic.feed], officer_id="officer-a", name=clinic.name))
                raw = demo_events(clinic, now=clock.now(), zone=zone)
                activities = [parse_http_event(event, now=clock.now()) for event in raw]
                await apply_activity_batch(session=session, activities=activities)
            await session.commit()
        kinds, stale = {}, {}
        for clinic in (fading, quiet):
            async with kpi_sessions() as session:
                clinic_id, today = ids[clinic.feed], clock.today(zone)
                await evaluate_clinic(session=session, clinic_id=clinic_id, as_of=today)
                rows = await session.exec(select(KpiAlertRecord).where(KpiAlertRecord.clinic_id == clinic_id))
                kinds[clinic.feed] = {(alert.kind, alert.metric) for alert in rows.all()}
                window = await load_feed_window(session=session, clinic_id=clinic_id, as_of=today)
                stale[clinic.feed] = alert_rules.feed_statuses(window, today=today)["notes"].stale
    # The portal shows the chart's own words ("The share of notes written with the AI scribe ... fell").
    assert ("adoption_decline", "ai_assisted_note_share") in kinds["fading"]
    assert stale == {"fading": False, "quiet": True}
    assert not [kind for kind, _ in kinds["quiet"] if kind == "adoption_decline"]


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
def test_no_demo_event_is_dated_after_now(instant: datetime) -> None:
    with clock.set_to(instant):
        for clinic in portfolio(len(STAGES)):
            clinic.id = str(uuid4())
            latest = max(
                (
                    datetime.fromisoformat(event["time"])
                    for event in demo_events(clinic, now=clock.now(), zone=UTC)
                ),
                default=None,
            )
            assert latest is None or latest <= clock.now()


@pytest.mark.parametrize("instant", DATES, ids=[instant.isoformat() for instant in DATES])
def test_the_demos_gates_pass_fail_and_are_inconclusive_on_their_own_weeks(instant: datetime) -> None:
    """Each clinic at the gate reaches the verdict its story leads to, judged by the gate's own code on
    the weeks between its pilot's start and today (the notes summed here per clinician and local week)."""
    with clock.set_to(instant):
        verdicts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for clinic in portfolio(25):
            if clinic.stage not in ("gate", "done"):
                continue
            clinic.id = str(uuid4())
            zone = ZoneInfo(clinic.time_zone)
            sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
            for event in demo_events(clinic, now=clock.now(), zone=zone):
                if event["type"] == "partner.note.signed":
                    day = datetime.fromisoformat(event["time"]).astimezone(zone).date()
                    counted = sums[event["data"]["staff_id"], iso_week(day)]
                    counted[0] += event["data"]["documentation_minutes"]
                    counted[1] += 1
            today = clock.today(zone)
            began = today - timedelta(days=today.weekday(), weeks=PILOT_WEEKS_AGO[clinic.stage])
            baseline = [iso_week(began - timedelta(weeks=BASELINE_WEEKS - n)) for n in range(BASELINE_WEEKS)]
            weeks = [
                WeekReading(
                    week=week,
                    value=None,
                    sample_size=0,
                    baseline_week=week in baseline,
                    clinicians=[
                        ClinicianReading(staff, staff in PILOT_GROUP, *sums[staff, week])
                        for staff in CLINICIANS
                        if (staff, week) in sums
                    ],
                )
                for week in sorted({week for _, week in sums})
            ]
            question = gate.GateQuestion(
                kpi="documentation_minutes_per_note",
                target_change_pct=-10.0,  # the evidence's default for a scribe
                minimum_worthwhile_pct=None,
                time_zone=clinic.time_zone,
                baseline_start="",
                baseline_end="",
                pilot_started_at=datetime.combine(began, time(), zone).isoformat(),
                # Judged at the end of the pilot's PILOT_DAYS: today for the clinics at the gate.
                gate_at=min(
                    clock.now(), datetime.combine(began + timedelta(days=PILOT_DAYS), time(), zone)
                ).isoformat(),
                weeks=weeks,
            )
            verdicts.setdefault(clinic.stage, []).append((clinic.verdict, gate.gate_evidence(question)))
    assert [evidence["outcome"] for _, evidence in verdicts["gate"]] == [v for v, _ in verdicts["gate"]]
    assert {verdict for verdict, _ in verdicts["gate"]} == {"pass", "fail", "inconclusive"}
    assert all(evidence["design"].startswith("difference-in-differences") for _, evidence in verdicts["gate"])
    [(_, finished)] = verdicts["done"]
    assert finished["outcome"] == "pass"


def test_each_demo_clinics_staff_audit_and_calls_follow_its_size() -> None:
    """Not one audit everywhere: head-counts, the audit's hours and the call volume grow with size,
    and the audit names audit's own roster pseudonyms, most of the staff logging."""
    clinics = portfolio(25)
    by_size = {clinic.size: clinic for clinic in clinics}
    assert sorted(by_size) == [0, 1, 2]
    hours = {}
    for size, clinic in by_size.items():
        entries = audit_log(clinic, "2026-12-07")
        staff = {who for who, _ in roster(clinic)}
        logged = {entry["staff_id"] for entry in entries}
        assert logged <= staff and len(logged) / len(staff) >= 0.8
        assert sum(headcounts(clinic).values()) == len(staff)
        hours[size] = sum(entry["minutes"] * entry["occurrences"] for entry in entries) / 60
    assert hours[0] < hours[1] < hours[2]
    audits = {
        tuple(sorted((e["staff_id"], e["minutes"]) for e in audit_log(c, "2026-12-07"))) for c in clinics
    }
    assert len(audits) == len(clinics)  # every clinic its own audit
    now, zone = datetime(2026, 12, 9, 15, tzinfo=UTC), ZoneInfo("America/Chicago")
    calls = {
        size: sum(
            1 for event in demo_events(clinic, now=now, zone=zone) if event["type"].startswith("partner.call")
        )
        / len(demo_days(clinic, now=now, zone=zone))
        for size, clinic in ((c.size, c) for c in clinics if c.stage == "pilot")
    }
    assert calls == {size: 8 + 4 * size for size in calls}
