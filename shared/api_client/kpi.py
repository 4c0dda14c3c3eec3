"""kpi's API: integration partners and the clinics they may publish for, the partners' signed
event batches, and a clinic's KPIs and alerts."""

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from shared import clock
from shared.api_client.calls import Call, Id, Json, present
from shared.api_client.vocabulary import PartnerKind

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
# Where a partner posts its events: also told to the officer who hands the partner its key.
PARTNER_EVENTS_PATH = "/v1/partner-events"

# --- partners (officers) ------------------------------------------------------------------------


def register_partner(*, name: str, kind: PartnerKind, clinic_ids: Sequence[str]) -> Call[Json]:
    """A new partner; its API key and webhook secret are in this answer only."""
    body = {"name": name, "kind": kind, "clinic_ids": list(clinic_ids)}
    return Call("kpi", "POST", "/v1/partners", json=body)


def partners() -> Call[list[Json]]:
    """The officer's partners and the clinics each may publish for."""
    return Call("kpi", "GET", "/v1/partners")


def link_partner(*, partner_id: Id, clinic_id: Id) -> Call[Json]:
    """The partner may publish events for this clinic too."""
    return Call("kpi", "PUT", f"/v1/partners/{partner_id}/clinics/{clinic_id}")


def unlink_partner(*, partner_id: Id, clinic_id: Id) -> Call[Json]:
    """kpi no longer accepts the partner's events for this clinic."""
    return Call("kpi", "DELETE", f"/v1/partners/{partner_id}/clinics/{clinic_id}")


def partner_deliveries(*, partner_id: Id) -> Call[Json]:
    """The partner's delivery console: recent deliveries, last event per type, error rate, rotation."""
    return Call("kpi", "GET", f"/v1/partners/{partner_id}/deliveries")


def rotate_webhook_secret(*, partner_id: Id, window_hours: int) -> Call[Json]:
    """A new webhook secret (in this answer only); the old one verifies for `window_hours` more."""
    return Call(
        "kpi", "POST", f"/v1/partners/{partner_id}/webhook-secret", json={"window_hours": window_hours}
    )


# --- a partner's events -------------------------------------------------------------------------


def partner_events(
    *, events: list[dict[str, Any]], api_key: str, signer: Webhook, now: datetime | None = None
) -> Call[Json]:
    """Up to 1,000 CloudEvents from a partner, signed the Standard Webhooks way with its secret."""
    body = json.dumps(events)
    message_id, moment = f"msg_{uuid.uuid4().hex}", now or clock.now()
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": BATCH_CONTENT_TYPE,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signer.sign(message_id, moment, body),
    }
    return Call("kpi", "POST", PARTNER_EVENTS_PATH, content=body, headers=headers)


# --- KPIs and alerts (officers) -----------------------------------------------------------------


def kpis(
    *,
    clinic_id: Id,
    granularity: str | None = None,
    start: str | None = None,
    end: str | None = None,
    kpi: Sequence[str] | None = None,
) -> Call[Json]:
    """KPI series by day or week against baseline and target (default: the last 8 weeks)."""
    params = present(granularity=granularity, start=start, end=end, kpi=list(kpi) if kpi else None)
    return Call("kpi", "GET", f"/v1/clinics/{clinic_id}/kpis", params=params)


def kpi_alerts(*, clinic_id: Id) -> Call[list[Json]]:
    """Alerts raised for a clinic, with their evidence."""
    return Call("kpi", "GET", f"/v1/clinics/{clinic_id}/kpi-alerts")


def evaluate(*, clinic_id: Id, as_of: str | None = None) -> Call[Json]:
    """Send the clinic's due weekly snapshots and alerts now."""
    params = present(as_of=as_of)
    return Call("kpi", "POST", f"/v1/clinics/{clinic_id}/kpis/evaluate", params=params)
