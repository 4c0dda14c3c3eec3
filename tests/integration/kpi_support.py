"""Helpers the KPI integration tests share (no tests here): clinics, partners, signed requests, DLQ."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from standardwebhooks.webhooks import Webhook

from services.kpi.models import KpiClinic
from shared import topics
from shared.auth import issue_token
from shared.events import ClinicRegistered, envelope_for
from tests.polling import eventually
from tests.services import RunningService


async def register_clinic(
    kpi: RunningService, *, officer_id: str, name: str = "Lakeside Clinic"
) -> uuid.UUID:
    """Publish intake's clinic.registered event and wait until kpi knows the clinic."""
    await asyncio.wait_for(kpi.app.state.broker_connected.wait(), timeout=60)
    clinic_id = uuid.uuid4()
    event = ClinicRegistered(
        clinic_id=clinic_id, officer_id=officer_id, name=name, specialty="family medicine", locations=1
    )
    envelope = envelope_for(event, source="/tests/intake", subject=str(clinic_id))
    await kpi.runtime.broker.publish(
        event.model_dump_json().encode(),
        topic=topics.CLINIC_REGISTERED.name,
        key=str(clinic_id).encode(),
        headers=envelope.to_headers(),
    )

    async def known() -> KpiClinic | None:
        async with kpi.runtime.sessions() as session:
            return await session.get(KpiClinic, clinic_id)

    await eventually(known, what=f"kpi to record clinic {clinic_id}")
    return clinic_id


def officer_headers(kpi: RunningService, officer_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(kpi.runtime.settings, officer_id=officer_id)}"}


async def register_partner(
    kpi: RunningService, *, officer_id: str, clinic_ids: list[uuid.UUID]
) -> dict[str, Any]:
    response = await kpi.http.post(
        "/v1/partners",
        json={"name": "Acme Phones", "kind": "phone", "clinic_ids": [str(item) for item in clinic_ids]},
        headers=officer_headers(kpi, officer_id),
    )
    assert response.status_code == 201, response.text
    partner: dict[str, Any] = response.json()
    return partner


def signed(
    partner: dict[str, Any], body: bytes, *, webhook_id: str = "", timestamp: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for `body`, plus the partner's key."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(UTC)
    signature = Webhook(partner["webhook_secret"]).sign(webhook_id, timestamp, body.decode())
    return {
        "Authorization": f"Bearer {partner['api_key']}",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/cloudevents-batch+json",
    }


async def post_events(
    kpi: RunningService, partner: dict[str, Any], events: list[dict[str, Any]], **signing: Any
) -> httpx.Response:
    body = json.dumps(events).encode()
    return await kpi.http.post("/v1/partner-events", content=body, headers=signed(partner, body, **signing))


async def dead_letters(bootstrap: str, *, ids: set[str]) -> dict[str, dict[str, str]]:
    """The DLQ records (their headers) of the given ce_ids, read from the start of the topic."""
    consumer = AIOKafkaConsumer(
        topics.PARTNER_ACTIVITY.dead_letter,
        bootstrap_servers=bootstrap,
        group_id=f"test-dlq-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[str, dict[str, str]] = {}
    try:

        async def all_found() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = {name: value.decode() for name, value in record.headers}
                    if headers.get("ce_id") in ids:
                        found[headers["ce_id"]] = headers
            return set(found) == ids

        await eventually(all_found, what=f"dead letters for {ids}")
    finally:
        await consumer.stop()
    return found
