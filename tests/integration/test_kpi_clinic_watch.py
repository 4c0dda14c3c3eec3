"""kpi watches a clinic as a whole, on the real broker, with no initiative approved: the clinic's
activity (each feed's last event, quiet feeds, AI use week by week) goes out on
kpi.clinic.activity.v1 only when it changed, and a scribe bought before any plan is watched for a
fall in use over all its weeks."""

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shared import clock, topics
from tests.front_door import front_door_batches
from tests.integration.kpi_support import officer_headers, register_clinic
from tests.integration.test_kpi_alerts_kafka import laney_lower_limit
from tests.integration.test_kpi_kafka import produce, read_topic, record, total_events
from tests.polling import eventually
from tests.services import running

START = date(2026, 5, 4)  # Monday of 2026-W19: the scribe was in use from the first week
WEEKS = 20
AI_ASSISTED = [30, 36] * 9 + [33, 10]  # of 60 notes a week; the last week falls to 1 in 6
AS_OF = START + timedelta(weeks=WEEKS)  # Monday after the last complete week
# The phone feed's last day is the Tuesday before: Wednesday to Friday are three quiet open days
# of a clinic open Monday to Friday (the weekend does not count).
CALLS_STOP = AS_OF - timedelta(days=6)


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)


async def test_the_clinics_activity_goes_out_when_it_changes_and_a_scribe_in_use_is_watched(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        records = []
        ai_staff: dict[int, set[str]] = defaultdict(set)
        for week in range(WEEKS):
            monday = START + timedelta(weeks=week)
            for index in range(60):  # 12 notes each weekday, by four clinicians
                staff, day = f"s{index % 4 + 1}", monday + timedelta(days=index // 12)
                assisted = index < AI_ASSISTED[week]
                records.append(
                    record(
                        clinic,
                        "partner.note.signed",
                        {"documentation_minutes": 12, "ai_assisted": assisted, "staff_id": staff},
                        when=at(day),
                    )
                )
                if assisted:
                    ai_staff[week].add(staff)
                    records.append(
                        record(
                            clinic,
                            "partner.ai_tool.session",
                            {"staff_id": staff, "tool": "scribe", "minutes": 5},
                            when=at(day),
                        )
                    )
            for offset in range(7):
                if monday + timedelta(days=offset) <= CALLS_STOP:
                    records += [
                        record(
                            clinic,
                            "partner.call.answered",
                            {"wait_seconds": 12},
                            when=at(monday + timedelta(days=offset)),
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

        headers = officer_headers(kpi, officer)

        async def evaluate(day: date) -> list[dict[str, object]]:
            answer = await kpi.http.post(
                f"/v1/clinics/{clinic}/kpis/evaluate", params={"as_of": day.isoformat()}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            alerts: list[dict[str, object]] = answer.json()["alerts"]
            return alerts

        first = await evaluate(AS_OF)
        again = await evaluate(AS_OF)  # nothing changed: no activity, no alert sent twice
        later = await evaluate(AS_OF + timedelta(days=1))  # Monday's notes leave the last 7 days

        assert [(alert["kind"], alert["initiative_id"], alert["kpi"]) for alert in first] == [
            ("adoption_decline", None, "ai_assisted_note_share")
        ]
        decline = first[0]["evidence"]
        assert isinstance(decline, dict)
        # every week of use after the 4-week ramp and before the latest
        centre, lower = laney_lower_limit(AI_ASSISTED, 60.0)
        assert decline["reference_from"] == "2026-W23"
        assert decline["centre"] == pytest.approx(centre, abs=1e-4)
        assert decline["lower_limit"] == pytest.approx(lower, abs=1e-4)
        assert again == [] and later == []

        published = await read_topic(kafka, topics.KPI_CLINIC_ACTIVITY.name, key=str(clinic), count=2)
        assert [body["as_of"] for body in published] == [
            AS_OF.isoformat(),
            (AS_OF + timedelta(days=1)).isoformat(),
        ]
        activity = published[0]
        last_friday = AS_OF - timedelta(days=3)
        assert activity["last_event_day"] == last_friday.isoformat()
        feeds = {feed["feed"]: feed for feed in activity["feeds"]}
        assert set(feeds) == {"calls", "notes", "ai_tool"}
        assert (feeds["calls"]["last_event_day"], feeds["calls"]["stale"]) == (CALLS_STOP.isoformat(), True)
        assert feeds["calls"]["events_last_7_days"] == 10  # Monday and Tuesday
        # The usual volume is read over the open days of the 28 days before the 3 quiet open days.
        assert feeds["calls"]["usual_events_per_day"] == 5.0
        assert (feeds["notes"]["last_event_day"], feeds["notes"]["stale"]) == (last_friday.isoformat(), False)
        assert feeds["notes"]["events_last_7_days"] == 60
        expected_weeks = [
            {
                "week": f"2026-W{19 + week:02d}",
                "notes_signed": 60,
                "notes_ai_assisted": AI_ASSISTED[week],
                "ai_active_staff": len(ai_staff[week]),
                "clinicians": 4,  # every week's notes are signed by s1-s4
            }
            for week in range(WEEKS - 8, WEEKS)
        ]
        assert activity["adoption"] == expected_weeks
        assert published[1]["feeds"] != activity["feeds"]
