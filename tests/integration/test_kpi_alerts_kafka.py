"""Alerts that respect noise, on the real broker: a scribe's AI-assisted share falling beyond its
Laney P' limit and a phone feed gone quiet each go out once on kpi.alert.v1, with the rule, the
limits, the points and what to do next."""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.kpi import clinics
from services.kpi.control_charts import ADOPTION_RATES
from shared import clock, topics
from shared.events import envelope_for
from shared.events.roadmap import InitiativeApproved
from tests.front_door import front_door_batches
from tests.integration.kpi_support import officer_headers, register_clinic, register_partner
from tests.integration.test_kpi_kafka import produce, read_topic, record, total_events
from tests.laney_reference import laney_p_limit
from tests.polling import eventually
from tests.services import running

BASELINE_START = date(2026, 4, 27)  # ISO week 2026-W18; baseline W18-W19, pilot W20-W39
PILOT_WEEKS = 20
AI_ASSISTED = [33, 39] * 9 + [33, 6]  # of 60 notes a week: 55 % / 65 %, then 10 % in the last week
AS_OF = BASELINE_START + timedelta(weeks=2 + PILOT_WEEKS)  # Monday of W40


def laney_lower_limit(ai_assisted: list[int], notes: float) -> tuple[float, float]:
    """The AI-share chart's centre and latest-week lower limit (tests/laney_reference.py): the
    reference is every week of use after the 4-week ramp and before the latest."""
    reference = [(float(count), notes) for count in ai_assisted[4:-1]]
    latest = [(float(ai_assisted[-1]), notes)]
    centre, _, lower = laney_p_limit(reference, latest, alpha=ADOPTION_RATES.point)
    return centre, lower


async def test_an_ai_assisted_share_drop_and_a_quiet_phone_feed_raise_one_alert_each(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])  # "Acme Phones", a phone partner
        initiative = InitiativeApproved(
            clinic_id=clinic,
            initiative_id=uuid.uuid4(),
            problem="notes take the evenings",
            owner="md-1",
            kpi="documentation_minutes_per_note",
            baseline_start=BASELINE_START,
            baseline_end=BASELINE_START + timedelta(days=13),
            target_change_pct=-10,
            pilot_group=["s1", "s2", "s3", "s4"],
            approved_at=datetime.now(UTC),
        )
        envelope = envelope_for(initiative, source="/tests/roadmap", subject=str(clinic))
        await kpi.runtime.broker.publish(
            initiative.model_dump_json().encode(),
            topic=topics.INITIATIVE_APPROVED.name,
            key=str(clinic).encode(),
            headers=envelope.to_headers(),
        )

        def at(day: date) -> datetime:
            return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)

        records = []
        for week in range(2 + PILOT_WEEKS):
            monday = BASELINE_START + timedelta(weeks=week)
            assisted = AI_ASSISTED[week - 2] if week >= 2 else 0
            for index in range(60):  # 12 notes each weekday
                records.append(
                    record(
                        clinic,
                        "partner.note.signed",
                        {
                            "documentation_minutes": 12,
                            "ai_assisted": index < assisted,
                            "staff_id": f"s{index % 4 + 1}",
                        },
                        when=at(monday + timedelta(days=index // 12)),
                    )
                )
            # The phone system sends 5 calls a day and stops after Tuesday of the last week: Wednesday to
            # Friday are three quiet open days (the clinic opens Monday to Friday).
            for day in range(7):
                if week == 2 + PILOT_WEEKS - 1 and day >= 2:
                    break
                records += [
                    record(
                        clinic,
                        "partner.call.answered",
                        {"wait_seconds": 12},
                        when=at(monday + timedelta(days=day)),
                    )
                    for _ in range(5)
                ]
        # As partners must send them: through the front door, which keys staff ids and batches.
        await produce(kafka, clinic, front_door_batches(records, now=clock.now()))
        await eventually(
            lambda: total_events(kpi, clinic, float(len(records))),
            within=120,
            what="all partner events applied",
        )

        async def initiative_known() -> bool:
            async with kpi.runtime.sessions() as session:
                return clinic in await clinics.clinics_with_active_initiatives(session=session)

        await eventually(initiative_known, what="kpi to record the approved initiative")
        headers = officer_headers(kpi, officer)
        evaluated = await kpi.http.post(
            f"/v1/clinics/{clinic}/kpis/evaluate", params={"as_of": AS_OF.isoformat()}, headers=headers
        )
        assert evaluated.status_code == 200, evaluated.text
        alerts = {alert["kind"]: alert for alert in evaluated.json()["alerts"]}
        assert set(alerts) == {"adoption_decline", "feed_stale"}

        decline = alerts["adoption_decline"]
        centre, lower = laney_lower_limit(AI_ASSISTED, 60.0)
        assert (decline["metric"], decline["week"], decline["evidence"]["rule"]) == (
            "ai_assisted_note_share",
            "2026-W39",
            "beyond_limit",
        )
        assert decline["evidence"]["centre"] == pytest.approx(centre, abs=1e-4)
        assert decline["evidence"]["lower_limit"] == pytest.approx(lower, abs=1e-4)
        assert decline["evidence"]["reference_from"] == "2026-W24"  # after the pilot's 4-week ramp
        assert decline["evidence"]["point_2026-W39"] == 0.1
        assert "notes feed kept sending (60 events in the last 7 days)" in decline["message"]

        stale = alerts["feed_stale"]
        assert stale["metric"] == "feed_calls"
        assert stale["evidence"]["last_event_day"] == (AS_OF - timedelta(days=6)).isoformat()
        assert stale["evidence"]["usual_events_per_day"] == 5.0
        assert "Check the integration with Acme Phones" in stale["message"]

        # A week later no event came at all: the phone outage is the same episode (not raised again),
        # the notes feed has gone quiet too, and its share alert is not raised again on stale data.
        again = await kpi.http.post(
            f"/v1/clinics/{clinic}/kpis/evaluate",
            params={"as_of": (AS_OF + timedelta(days=7)).isoformat()},
            headers=headers,
        )
        assert again.status_code == 200, again.text
        assert [(alert["kind"], alert["metric"]) for alert in again.json()["alerts"]] == [
            ("feed_stale", "feed_notes")
        ]

        published = await read_topic(kafka, topics.KPI_ALERT.name, key=str(clinic), count=3)
        assert sorted((alert["kind"], alert["evidence"]["metric"]) for alert in published) == [
            ("adoption_decline", "ai_assisted_note_share"),
            ("feed_stale", "feed_calls"),
            ("feed_stale", "feed_notes"),
        ]
        assert all(alert["kpi"] == "documentation_minutes_per_note" for alert in published)
        listed = await kpi.http.get(f"/v1/clinics/{clinic}/kpi-alerts", headers=headers)
        assert len(listed.json()) == 3


async def test_a_phone_feed_that_goes_quiet_during_the_baseline_is_flagged(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    today = datetime.now(UTC).date()
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])  # "Acme Phones"
        # Approved five days ago; its two-week baseline is still being measured.
        approved = InitiativeApproved(
            clinic_id=clinic,
            initiative_id=uuid.uuid4(),
            problem="calls go unanswered at lunch",
            owner="pm-1",
            kpi="missed_call_rate",
            baseline_start=today - timedelta(days=5),
            baseline_end=today + timedelta(days=8),
            target_change_pct=-30,
            approved_at=datetime.now(UTC) - timedelta(days=5),
        )
        envelope = envelope_for(approved, source="/tests/roadmap", subject=str(clinic))
        await kpi.runtime.broker.publish(
            approved.model_dump_json().encode(),
            topic=topics.INITIATIVE_APPROVED.name,
            key=str(clinic).encode(),
            headers=envelope.to_headers(),
        )
        # Five calls a day for three weeks, then nothing for the last four days.
        records = [
            record(
                clinic,
                "partner.call.answered",
                {"wait_seconds": 12},
                when=datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), UTC)
                + timedelta(hours=10),
            )
            for days_ago in range(5, 26)
            for _ in range(5)
        ]
        # As partners must send them: through the front door, which keys staff ids and batches.
        await produce(kafka, clinic, front_door_batches(records, now=clock.now()))
        await eventually(
            lambda: total_events(kpi, clinic, float(len(records))), what="the feed's weeks applied"
        )

        async def initiative_known() -> bool:
            async with kpi.runtime.sessions() as session:
                return clinic in await clinics.clinics_with_active_initiatives(session=session)

        await eventually(initiative_known, what="kpi to record the approved initiative")
        evaluated = await kpi.http.post(
            f"/v1/clinics/{clinic}/kpis/evaluate",
            params={"as_of": today.isoformat()},
            headers=officer_headers(kpi, officer),
        )
        assert evaluated.status_code == 200, evaluated.text
        assert evaluated.json()["snapshots"] == []  # the baseline is not over
        [stale] = evaluated.json()["alerts"]
        assert (stale["kind"], stale["metric"]) == ("feed_stale", "feed_calls")
        assert stale["evidence"]["last_event_day"] == (today - timedelta(days=5)).isoformat()
        assert "Check the integration with Acme Phones" in stale["message"]
