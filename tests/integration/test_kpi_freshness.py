"""The KPI freshness SLO's metric: partner events posted over HTTP show up on kpi's /metrics
as records made readable, each within the histogram's range (deploy/prometheus/slos.yaml)."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.kpi.freshness import BUCKETS
from tests.integration.kpi_support import partner_event as event
from tests.integration.kpi_support import post_events, register_clinic, register_partner
from tests.integration.test_kpi_kafka import total_events
from tests.integration.test_metrics import scrape, total
from tests.polling import eventually
from tests.services import running

COUNT = "faio_kpi_freshness_seconds_count"


async def test_posted_partner_events_are_measured_from_publish_to_readable(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])
        before = await scrape(kpi)
        when = datetime.now(UTC) - timedelta(hours=1)
        calls = [event(clinic, "partner.call.answered", {"wait_seconds": 3}, when=when) for _ in range(5)]
        response = await post_events(kpi, partner, calls)
        assert response.status_code == 202, response.text

        await eventually(lambda: total_events(kpi, clinic, 5.0), what="the 5 posted events, readable")
        after = await scrape(kpi)
        measured = total(after, COUNT) - total(before, COUNT)
        # One record per clinic and request (the front door's batch record), or one per event.
        assert 1 <= measured <= 5
        # Each one took seconds at most here, nowhere near the histogram's last bucket.
        # The registry is the process's: earlier tests' records (replays, old timestamps) are in it too.
        slowest = str(BUCKETS[-1])
        bucket = "faio_kpi_freshness_seconds_bucket"
        assert total(after, bucket, le=slowest) - total(before, bucket, le=slowest) == measured
