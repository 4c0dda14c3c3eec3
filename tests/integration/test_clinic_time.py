"""A clinic's own time, on the real broker: intake registers it in its zone (the officer's by
default), kpi learns the zone from the event and counts a partner's events on the clinic's own days
and weeks: 23:30 on a Sunday in Los Angeles belongs to that Sunday's week, and ISO week 2026-W53
(Monday 28 December 2026 to Sunday 3 January 2027) is a week like any other.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.kpi.models import KpiClinic
from shared import clock
from tests.integration.kpi_support import officer_headers, post_events, register_partner
from tests.polling import eventually
from tests.services import RunningService, registered_officer, running

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CLINIC = {"name": "Pacific Family Practice", "specialty": "family medicine"}


def missed_call(clinic_id: str, when: datetime) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "partner.call.missed",
        "time": when.isoformat(),
        "subject": clinic_id,
        "data": {"wait_seconds": 30},
    }


async def weekly_calls(
    kpi: RunningService, officer: str, clinic_id: str, start: str, end: str
) -> dict[str, int]:
    reply = await kpi.http.get(
        f"/v1/clinics/{clinic_id}/kpis",
        params={"granularity": "week", "kpi": "missed_call_rate", "start": start, "end": end},
        headers=officer_headers(kpi, officer),
    )
    assert reply.status_code == 200, reply.text
    return {point["period"]: point["sample_size"] for point in reply.json()["kpis"][0]["points"]}


async def test_a_clinic_counts_its_events_on_its_own_days_and_weeks(kafka: str, tmp_path: Path) -> None:
    async with running("intake", "kpi", kafka=kafka, data_dir=tmp_path) as platform:
        intake, kpi = platform["intake"], platform["kpi"]
        await asyncio.wait_for(kpi.app.state.broker_connected.wait(), timeout=60)
        officer, token = await registered_officer(intake.http)
        auth = {"Authorization": f"Bearer {token}"}

        # The officer sets their zone once; a clinic that names none gets it, another names its own.
        me = await intake.http.patch(
            "/v1/officers/me", json={"time_zone": "America/Los_Angeles"}, headers=auth
        )
        assert me.status_code == 200, me.text
        pacific = await intake.http.post("/v1/clinics", json=CLINIC, headers=auth)
        assert pacific.status_code == 201, pacific.text
        assert pacific.json()["time_zone"] == "America/Los_Angeles"
        berlin = await intake.http.post(
            "/v1/clinics", json=CLINIC | {"name": "Praxis Mitte", "time_zone": "Europe/Berlin"}, headers=auth
        )
        assert berlin.json()["time_zone"] == "Europe/Berlin"
        refused = await intake.http.post(
            "/v1/clinics", json=CLINIC | {"time_zone": "Pacific/Atlantis"}, headers=auth
        )
        assert refused.status_code == 422
        assert "time_zone" in refused.text and "IANA" in refused.text
        clinic_id = pacific.json()["id"]

        async def kpi_knows_the_zone() -> bool:
            async with kpi.runtime.sessions() as session:
                clinic = await session.get(KpiClinic, uuid.UUID(clinic_id))
                return clinic is not None and clinic.time_zone == "America/Los_Angeles"

        await eventually(kpi_knows_the_zone, what="kpi to learn the clinic's time zone")
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[uuid.UUID(clinic_id)])

        with clock.set_to(datetime(2027, 1, 6, 18, 0, tzinfo=UTC)):
            sunday_night = datetime(2026, 12, 13, 23, 30, tzinfo=LOS_ANGELES)  # Monday 07:30 in UTC
            monday_morning = datetime(2026, 12, 14, 0, 30, tzinfo=LOS_ANGELES)
            week_53 = [
                datetime(2026, 12, 28, 9, 0, tzinfo=LOS_ANGELES),
                datetime(2027, 1, 1, 12, 0, tzinfo=LOS_ANGELES),
                datetime(2027, 1, 3, 23, 30, tzinfo=LOS_ANGELES),  # Monday 4 January in UTC
            ]
            # Written in UTC, as many partners send them: the clinic's zone decides the day.
            events = [
                missed_call(clinic_id, when.astimezone(UTC))
                for when in [sunday_night, monday_morning, *week_53]
            ]
            answer = await post_events(kpi, partner, events)
            assert answer.status_code == 202, answer.text
            assert answer.json()["accepted"] == len(events)

            expected = {"2026-W50": 1, "2026-W51": 1, "2026-W52": 0, "2026-W53": 3, "2027-W01": 0}

            async def counted() -> dict[str, int] | None:
                weeks = await weekly_calls(kpi, officer, clinic_id, "2026-12-07", "2027-01-10")
                return weeks if weeks == expected else None

            assert await eventually(counted, what="the calls counted in the clinic's own weeks") == expected
