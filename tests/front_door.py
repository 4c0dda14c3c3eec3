"""Partner events as the front door publishes them, for tests that write partner.activity.v1 directly.

The HTTP front door is the only partner edge: it validates a partner's batch, keys each staff id
(shared.pseudonyms) and packs one record per clinic (services.kpi.partner_batches). Tests and
benchmarks that skip HTTP to drive the consumer publish exactly that, built by the same functions.
"""

import json
import uuid
from datetime import datetime
from typing import Any

from services.kpi import partner_batches
from shared.events.partner import PartnerActivity
from shared.settings import DEV_PSEUDONYM_SECRET

TEST_PARTNER = uuid.UUID("00000000-0000-4000-8000-00000000fa10")
BATCH_HEADERS = {"content-type": partner_batches.BATCH_CONTENT_TYPE}


def front_door_records(
    events: list[dict[str, Any]],
    *,
    now: datetime,
    partner_id: uuid.UUID = TEST_PARTNER,
    secret: str = DEV_PSEUDONYM_SECRET,
) -> dict[uuid.UUID, bytes]:
    """Structured CloudEvents as a partner posts them -> the value of each clinic's Kafka record.

    Every event must be valid (the front door would answer 422 for the others); ids travel as
    partner_batches.event_id_for(partner_id, id), as the front door sends them.
    """
    parsed = partner_batches.parse_batch(json.dumps(events).encode(), now=now)
    refused = [outcome for outcome in parsed.outcomes if not isinstance(outcome, PartnerActivity)]
    assert not refused, f"the front door would refuse these: {refused}"
    activities = partner_batches.pseudonymised(
        [outcome for outcome in parsed.outcomes if isinstance(outcome, PartnerActivity)], secret=secret
    )
    encoded = partner_batches.encode_events(
        activities, partner_id=partner_id, source=f"/partners/{partner_id}"
    )
    return partner_batches.pack(
        (activity.clinic_id, event) for activity, event in zip(activities, encoded, strict=True)
    )


def front_door_batches(
    records: list[tuple[dict[str, str], bytes]], *, now: datetime, secret: str = DEV_PSEUDONYM_SECRET
) -> list[tuple[dict[str, str], bytes]]:
    """Binary-mode records (headers, body) as a partner's HTTP requests of up to MAX_BATCH events
    become on Kafka: (headers, value) of one record per clinic and request, staff ids keyed."""
    events = [
        {
            "specversion": "1.0",
            "id": headers["ce_id"],
            "type": headers["ce_type"],
            "time": headers["ce_time"],
            "subject": headers["ce_subject"],
            "data": json.loads(body),
        }
        for headers, body in records
    ]
    size = partner_batches.MAX_BATCH
    return [
        (BATCH_HEADERS, value)
        for start in range(0, len(events), size)
        for value in front_door_records(events[start : start + size], now=now, secret=secret).values()
    ]
