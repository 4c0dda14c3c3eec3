"""A partner's signed HTTP batch on its way in: verified, parsed, de-duplicated, staged for Kafka.

An accepted event is durable before the partner hears so: its receipt (the idempotency record,
per partner and event id) and the outbox row that carries it commit together, and the outbox
relay publishes it to partner.activity.v1 (services.kpi.partner_batches says how), where the
aggregator (services.kpi.aggregate) counts it once, like any partner's Kafka record.

Each process has one writer (services.kpi.receipts): SQLite has a single writer anyway, and
batches that wait in-process are committed together instead of queueing in SQLite's busy
handler. When more batches are in flight than the service works through promptly, the door
refuses the next (FrontDoor.admit): the partner retries after a moment with the same webhook-id.
"""

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.fernet import InvalidToken, MultiFernet
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.kpi import deliveries, partner_batches
from services.kpi.models import IngestionReport, KpiPartner
from services.kpi.partner_batches import ParsedBatch
from services.kpi.partners import PartnerLookup, PartnerWithClinics, open_webhook_secret
from services.kpi.receipts import BatchWriter, StagedBatch
from shared import clock
from shared.counters import PARTNER_EVENTS
from shared.db import SessionFactory
from shared.errors import Refused
from shared.events.partner import PartnerActivity, PartnerEventInvalid

MAX_BATCH = partner_batches.MAX_BATCH
# Standard Webhooks' replay window: a signed request older or newer than this is refused.
WEBHOOK_TOLERANCE = timedelta(minutes=5)


class SignatureRefused(Exception):
    """The request is not signed with the partner's webhook secret, or is too old."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # a word of deliveries.REASONS


class SecretUnreadable(Exception):
    """No key of FAIO_PARTNER_SECRETS_KEYS opens this partner's stored webhook secret."""


def valid_secrets(partner: KpiPartner, secrets_box: MultiFernet) -> list[str]:
    """The secrets a signature may be made with: the current one, and during a key rotation's
    window the one it replaces (Standard Webhooks lets a sender sign with both meanwhile)."""
    stored = [partner.webhook_secret]
    until = partner.previous_secret_until
    if partner.previous_webhook_secret and until is not None and clock.now() < until:
        stored.append(partner.previous_webhook_secret)
    try:
        return [open_webhook_secret(item, secrets_box) for item in stored]
    except InvalidToken as error:
        raise SecretUnreadable(
            "this partner's webhook secret cannot be decrypted with the service's "
            "FAIO_PARTNER_SECRETS_KEYS (a key was removed?); the platform operator must restore it"
        ) from error


def verify_signature(
    *, partner: KpiPartner, secrets_box: MultiFernet, payload: bytes, headers: Mapping[str, str]
) -> None:
    """Check the Standard Webhooks signature of `id.timestamp.body` and the timestamp's age."""
    webhooks = [Webhook(secret) for secret in valid_secrets(partner, secrets_box)]
    try:
        _verify_webhook(webhooks, payload, headers)
    except (WebhookVerificationError, ValueError) as error:
        raise SignatureRefused(
            f"webhook signature refused ({error}): sign 'webhook-id.webhook-timestamp.body' with your "
            "webhook secret; requests older than 5 minutes are refused",
            reason=deliveries.signature_reason(str(error)),
        ) from error


def _verify_webhook(webhooks: list[Webhook], payload: bytes, headers: Mapping[str, str]) -> None:
    """Standard Webhooks' check, with the timestamp's age judged by faio's clock, not the system's
    (the library's own verify reads the system clock, so a demo or a test on a set date would fail)."""
    lower = {key.lower(): value for key, value in headers.items()}
    msg_id, signatures = lower.get("webhook-id"), lower.get("webhook-signature")
    try:
        timestamp = datetime.fromtimestamp(float(lower.get("webhook-timestamp", "")), UTC)
    except (ValueError, OverflowError) as error:
        raise WebhookVerificationError("Invalid Signature Headers") from error
    if not (msg_id and signatures):
        raise WebhookVerificationError("Missing required headers")
    if abs(clock.now() - timestamp) > WEBHOOK_TOLERANCE:
        raise WebhookVerificationError("Message timestamp too old or too new")
    given = [item.encode() for item in signatures.split(" ")]
    for webhook in webhooks:
        expected = webhook.sign(msg_id=msg_id, timestamp=timestamp, data=payload).encode()
        if any(hmac.compare_digest(expected, item) for item in given):
            return
    raise WebhookVerificationError("No matching signature found")


def refuse_unlinked(parsed: ParsedBatch, linked: frozenset[UUID]) -> None:
    """Refuse the whole batch if any event names a clinic the partner is not linked to."""
    unlinked = parsed.subjects - linked
    if unlinked:
        PARTNER_EVENTS.labels("rejected", "unlinked_clinic").inc(len(parsed.outcomes))
        raise Refused(
            "this partner is not linked to clinic(s) "
            + ", ".join(str(item) for item in sorted(unlinked))
            + "; nothing of this batch was stored. The officer links a clinic with "
            "PUT /v1/partners/{partner id}/clinics/{clinic id}"
        )


def report(parsed: ParsedBatch, staged: StagedBatch) -> IngestionReport:
    """What became of each event, in the order sent."""
    # Plain dicts validated in one call: a thousand results cost a fraction of building models.
    fresh = iter(staged.fresh)
    results: list[dict[str, Any]] = []
    for index, (outcome, event_id) in enumerate(zip(parsed.outcomes, parsed.ids, strict=True)):
        if isinstance(outcome, PartnerEventInvalid):
            problems = [{"field": item.field, "reason": item.reason} for item in outcome.problems]
            results.append({"index": index, "id": event_id, "status": "rejected", "errors": problems})
            # The top-level field at fault (type, time, subject, data): few values, fit for a label.
            field = outcome.problems[0].field.split(".", 1)[0] if outcome.problems else "body"
            PARTNER_EVENTS.labels("rejected", field).inc()
        else:
            status = "accepted" if next(fresh) else "duplicate"
            results.append({"index": index, "id": event_id, "status": status})
            PARTNER_EVENTS.labels(status, "").inc()
    accepted = sum(staged.fresh)
    return IngestionReport.model_validate(
        {
            "accepted": accepted,
            "duplicates": len(staged.fresh) - accepted,
            "rejected": len(parsed.outcomes) - len(staged.fresh),
            "redelivery": not staged.first_delivery,
            "results": results,
        }
    )


class FrontDoor:
    """The partners' way in, for one process: a bounded number of batches in flight, one writer.

    `max_in_flight` bounds the batches being parsed or waiting to be written: beyond it a
    request is refused at once (429 with Retry-After), before its body is read, so a burst
    from many partners costs them a retry, never a timeout or an error.
    """

    def __init__(self, sessions: SessionFactory, *, max_in_flight: int, pseudonym_secret: str) -> None:
        self.max_in_flight = max_in_flight
        self.pseudonym_secret = pseudonym_secret
        self.in_flight = 0
        self.partners = PartnerLookup(sessions)
        self.writer = BatchWriter(sessions, max_group=max_in_flight)

    def admit(self) -> bool:
        """Take a place for one more batch, or False when the door is full."""
        if self.in_flight >= self.max_in_flight:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    async def accept(
        self, *, partner: PartnerWithClinics, webhook_id: str, payload: bytes, now: datetime
    ) -> IngestionReport:
        """Parse a verified batch and make its new events durable; the report says what became of each."""
        try:
            parsed = partner_batches.parse_batch(payload, now=now)
        except partner_batches.BatchRefused as error:
            too_many = isinstance(error, partner_batches.BatchTooLarge)
            await self.refuse(partner.partner, webhook_id, "too_many" if too_many else "not_a_batch", now=now)
            raise Refused(str(error)) from error
        try:
            refuse_unlinked(parsed, partner.clinics)
        except Refused:
            await self.refuse(partner.partner, webhook_id, "unlinked_clinic", now=now)
            raise
        activities = partner_batches.pseudonymised(
            [outcome for outcome in parsed.outcomes if isinstance(outcome, PartnerActivity)],
            secret=self.pseudonym_secret,
        )
        staged = StagedBatch(
            officer_id=partner.partner.officer_id,
            partner_id=partner.partner.id,
            webhook_id=webhook_id,
            activities=activities,
            encoded=partner_batches.encode_events(
                activities, partner_id=partner.partner.id, source=partner.partner.source
            ),
            received_at=now,
            rejected=len(parsed.outcomes) - len(activities),
        )
        return report(parsed, await self.writer.write(staged))

    async def refuse(
        self, partner: KpiPartner, webhook_id: str | None, reason: str, *, now: datetime
    ) -> None:
        """Record a refused delivery for the partner's console (nothing of its body is kept)."""
        await self.writer.write(
            StagedBatch(
                officer_id=partner.officer_id,
                partner_id=partner.id,
                webhook_id=webhook_id or "",
                activities=[],
                encoded=[],
                received_at=now,
                refusal=reason,
            )
        )
