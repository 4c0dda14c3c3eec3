"""KPI freshness: how long after its publish a partner record is readable, for the SLO.

"Readable" is committed to kpi's database (as bench_kpi measures it); "published" is the Kafka
record's timestamp, set when the outbox relay sent it. Observed once per record (a record holds
one event, or a partner's whole HTTP batch for one clinic), after the batch's commit. The SLO and
its alerts: deploy/prometheus/slos.yaml.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord
from prometheus_client import Histogram

from shared.counters import PROCESS_REGISTRY

# Around the SLO's threshold (1 s), and wide enough to show how far a backlog has gone.
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

FRESHNESS = Histogram(
    "faio_kpi_freshness_seconds",
    "Seconds from a partner record's publish to its events being readable in kpi's database.",
    buckets=BUCKETS,
    registry=PROCESS_REGISTRY,
)


def observe_readable(records: Iterable[ConsumerRecord[Any, Any]], *, now: datetime) -> None:
    """Count each record once (a batch's events name their record one after another)."""
    readable_ms = now.timestamp() * 1000
    previous = None
    for record in records:
        if record is not previous:
            FRESHNESS.observe(max(0.0, readable_ms - record.timestamp) / 1000)
            previous = record
