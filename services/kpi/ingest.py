"""A partner's signed HTTP batch on its way in: verified, parsed, de-duplicated, staged for Kafka.

An accepted event is durable before the partner hears so: its receipt (the idempotency record)
and its outbox row commit together, and the outbox relay publishes it to partner.activity.v1,
where the aggregator (services.kpi.aggregate) counts it like any partner's Kafka record.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.kpi.models import (
    EventResult,
    FieldProblemPublic,
    IngestionReport,
    KpiPartner,
    KpiPartnerEventReceipt,
    KpiWebhookDelivery,
)
from services.kpi.partners import linked_clinics, open_webhook_secret
from shared.errors import Conflict, Refused
from shared.events.envelope import Envelope
from shared.events.partner import PartnerActivity, PartnerEventInvalid, parse_http_event
from shared.outbox import current_trace_context, stage_envelope

MAX_BATCH = 1000
# Signed requests older than this are refused by the signature check, so older delivery ids
# can be forgotten: a replay of them would be refused as stale anyway.
WEBHOOK_MEMORY = timedelta(minutes=10)
# SQLite allows 32,766 bound parameters a statement; stay well under it.
IN_CHUNK = 900


class SignatureRefused(Exception):
    """The request is not signed with the partner's webhook secret, or is too old."""


class SecretUnreadable(Exception):
    """No key of FAIO_PARTNER_SECRETS_KEYS opens this partner's stored webhook secret."""


def verify_signature(
    *, partner: KpiPartner, secrets_box: MultiFernet, payload: bytes, headers: Mapping[str, str]
) -> None:
    """Check the Standard Webhooks signature of `id.timestamp.body` and the timestamp's age."""
    try:
        secret = open_webhook_secret(partner.webhook_secret, secrets_box)
    except InvalidToken as error:
        raise SecretUnreadable(
            "this partner's webhook secret cannot be decrypted with the service's "
            "FAIO_PARTNER_SECRETS_KEYS (a key was removed?); the platform operator must restore it"
        ) from error
    try:
        Webhook(secret).verify(payload, dict(headers), json_parse=False)
    except (WebhookVerificationError, ValueError) as error:
        raise SignatureRefused(
            f"webhook signature refused ({error}): sign 'webhook-id.webhook-timestamp.body' with your "
            "webhook secret; requests older than 5 minutes are refused"
        ) from error


def parse_batch(payload: bytes) -> list[Any]:
    """The request body as a list of up to MAX_BATCH raw events, or Refused saying what to send."""
    try:
        events = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Refused(f"body is not JSON ({error}); send a JSON array of CloudEvents") from error
    if not isinstance(events, list) or not events:
        raise Refused("body must be a non-empty JSON array of CloudEvents")
    if len(events) > MAX_BATCH:
        raise Refused(f"{len(events)} events in one request; send at most {MAX_BATCH:,} a request")
    return events


async def remember_delivery(
    *, session: AsyncSession, partner_id: UUID, webhook_id: str, now: datetime
) -> None:
    """Record a signed request's id; Conflict if it was already received (a replay)."""
    await session.exec(
        delete(KpiWebhookDelivery).where(col(KpiWebhookDelivery.received_at) < now - WEBHOOK_MEMORY)
    )
    if await session.get(KpiWebhookDelivery, (partner_id, webhook_id)) is not None:
        raise Conflict("replayed request: this webhook-id was already received; use a new one")
    session.add(KpiWebhookDelivery(partner_id=partner_id, webhook_id=webhook_id, received_at=now))


def _subject_of(raw: Any) -> UUID | None:
    if isinstance(raw, dict) and isinstance(raw.get("subject"), str):
        try:
            return UUID(raw["subject"])
        except ValueError:
            return None
    return None


async def ingest_batch(
    *, session: AsyncSession, partner: KpiPartner, events: Sequence[Any], now: datetime
) -> IngestionReport:
    """Validate a batch, refuse it whole if it names an unlinked clinic, stage the rest for Kafka.

    Accepted events go to the outbox in the same transaction as their receipts (the idempotency
    record), so an event is either accepted and will be published, or not accepted at all.
    The caller commits.
    """
    linked = await linked_clinics(session=session, partner_id=partner.id)
    named = {subject for subject in map(_subject_of, events) if subject is not None}
    if named - linked:
        raise Refused(
            "this partner is not linked to clinic(s) "
            + ", ".join(str(item) for item in sorted(named - linked))
            + "; nothing of this batch was stored. The officer links a clinic with "
            "PUT /v1/partners/{partner id}/clinics/{clinic id}"
        )

    results: list[EventResult] = []
    valid: list[tuple[int, PartnerActivity]] = []
    for index, raw in enumerate(events):
        event_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            valid.append((index, parse_http_event(raw, now=now)))
            results.append(EventResult(index=index, id=event_id, status="accepted"))
        except PartnerEventInvalid as error:
            problems = [FieldProblemPublic(field=item.field, reason=item.reason) for item in error.problems]
            results.append(EventResult(index=index, id=event_id, status="rejected", errors=problems))

    seen = await _received(session, [activity.event_id for _, activity in valid])
    trace_context = current_trace_context()
    for index, activity in valid:
        if activity.event_id in seen:
            results[index] = EventResult(index=index, id=activity.event_id, status="duplicate")
            continue
        seen.add(activity.event_id)
        session.add(
            KpiPartnerEventReceipt(event_id=activity.event_id, partner_id=partner.id, received_at=now)
        )
        envelope = Envelope(
            id=activity.event_id,
            type=activity.type,
            source=partner.source,
            subject=str(activity.clinic_id),
            time=activity.occurred_at,
        )
        stage_envelope(
            session,
            envelope,
            topic=activity.body.topic.name,
            payload=activity.body.model_dump_json(exclude_none=True).encode(),
            trace_context=trace_context,
        )
    statuses = [result.status for result in results]
    return IngestionReport(
        accepted=statuses.count("accepted"),
        duplicates=statuses.count("duplicate"),
        rejected=statuses.count("rejected"),
        results=results,
    )


async def _received(session: AsyncSession, ids: Sequence[str]) -> set[str]:
    """Which of `ids` were already accepted (queried in chunks to respect parameter limits)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(ids))
    column = col(KpiPartnerEventReceipt.event_id)
    for start in range(0, len(unique), IN_CHUNK):
        statement = select(column).where(column.in_(unique[start : start + IN_CHUNK]))
        found.update((await session.exec(statement)).all())
    return found


async def accept_batch(
    *, session: AsyncSession, partner: KpiPartner, webhook_id: str, events: Sequence[Any], now: datetime
) -> IngestionReport:
    """Remember the request, stage its good events and commit: durable before the partner hears."""
    await remember_delivery(session=session, partner_id=partner.id, webhook_id=webhook_id, now=now)
    report = await ingest_batch(session=session, partner=partner, events=events, now=now)
    try:
        await session.commit()
    except IntegrityError as error:
        # The same webhook-id or event id raced in from a concurrent request and won: a replay.
        await session.rollback()
        raise Conflict(
            "a concurrent request carried the same webhook-id or event ids; send it again to see "
            "which events are duplicates"
        ) from error
    return report
