"""A partner's delivery console: what became of each signed request, and its webhook key rotation.

A delivery is one signed request of a known partner (an unknown API key names no partner). Its
record holds the webhook-id, the time, the outcome and, when refused, a reason from the fixed
vocabulary below: never the body, so no patient data and no partner's free text is kept.
"""

import re
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from cryptography.fernet import MultiFernet
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import KpiPartnerDelivery, KpiPartnerLastEvent, PartnerPublic
from services.kpi.partners import new_webhook_secret, officer_partner, partner_public
from shared import clock, db

Outcome = Literal["accepted", "duplicate", "refused"]
# Why a delivery was refused: kpi's own words, the same for every partner.
REASONS: dict[str, str] = {
    "signature": "signature matches none of the partner's valid webhook secrets",
    "timestamp": "webhook-timestamp older or newer than 5 minutes",
    "headers": "webhook-id, webhook-timestamp or webhook-signature missing or malformed",
    "not_a_batch": "body is not a non-empty JSON array of CloudEvents",
    "too_many": "more than 1,000 events in one request",
    "unlinked_clinic": "an event names a clinic the partner is not linked to",
    "invalid_events": "every event of the batch was invalid",
}
KEEP_DELIVERIES = timedelta(days=30)
ERROR_RATE_WINDOW = timedelta(days=7)
SHOWN_DELIVERIES = 50
MAX_ROTATION_HOURS = 7 * 24
# A webhook-id is shown as sent only when it looks like an id; anything else is not kept.
_ID_LIKE = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
MALFORMED_ID = "(not an id)"


def shown_webhook_id(webhook_id: str | None) -> str:
    return webhook_id if webhook_id and _ID_LIKE.fullmatch(webhook_id) else MALFORMED_ID


def signature_reason(problem: str) -> str:
    """The vocabulary word for a Standard Webhooks verification error."""
    if "too old or too new" in problem:
        return "timestamp"
    if "headers" in problem.lower():
        return "headers"
    return "signature"


def outcome_of(
    *, refusal: str | None, first_delivery: bool, accepted: int, duplicates: int, rejected: int
) -> tuple[Outcome, str | None]:
    """A delivery's outcome and reason, from what the front door made of it."""
    if refusal is not None:
        return "refused", refusal
    if not first_delivery:
        return "duplicate", None
    if accepted:
        return "accepted", None
    if duplicates:
        return "duplicate", None
    return "refused", "invalid_events" if rejected else "not_a_batch"


def delivery_row(
    *,
    officer_id: str,
    partner_id: UUID,
    webhook_id: str,
    received_at: datetime,
    refusal: str | None,
    first_delivery: bool,
    accepted: int,
    duplicates: int,
    rejected: int,
) -> dict[str, Any]:
    outcome, reason = outcome_of(
        refusal=refusal,
        first_delivery=first_delivery,
        accepted=accepted,
        duplicates=duplicates,
        rejected=rejected,
    )
    return {
        "officer_id": officer_id,
        "id": uuid.uuid4(),
        "partner_id": partner_id,
        "webhook_id": shown_webhook_id(webhook_id),
        "received_at": received_at,
        "outcome": outcome,
        "reason": reason,
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": rejected,
    }


async def write_deliveries(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    last_events: dict[tuple[str, UUID, str], tuple[datetime, datetime]],
    *,
    forget_before: datetime | None,
) -> None:
    """Record deliveries and each partner's newest event per type (in the writer's transaction)."""
    if forget_before is not None:
        await session.exec(
            delete(KpiPartnerDelivery).where(
                col(KpiPartnerDelivery.received_at) < forget_before - KEEP_DELIVERIES
            )
        )
    insert = postgresql.insert if db.dialect(session) == "postgresql" else sqlite.insert
    if rows:
        await session.exec(insert(KpiPartnerDelivery).values(rows))
    if last_events:
        values = [
            {
                "officer_id": officer,
                "partner_id": partner,
                "event_type": kind,
                "received_at": received,
                "occurred_at": occurred,
            }
            for (officer, partner, kind), (received, occurred) in last_events.items()
        ]
        statement = insert(KpiPartnerLastEvent).values(values)
        await session.exec(
            statement.on_conflict_do_update(
                index_elements=["officer_id", "partner_id", "event_type"],
                set_={
                    "received_at": statement.excluded.received_at,
                    "occurred_at": statement.excluded.occurred_at,
                },
            )
        )


# --- the console (officers) -----------------------------------------------------------------


class DeliveryPublic(BaseModel):
    webhook_id: str
    received_at: datetime
    outcome: Outcome
    reason: str | None = None  # in words, when refused
    accepted: int
    duplicates: int
    rejected: int


class LastEvent(BaseModel):
    type: str
    received_at: datetime
    occurred_at: datetime


class PartnerDeliveries(BaseModel):
    """A partner's delivery console: its recent deliveries, last event per type, error rate, rotation."""

    partner: PartnerPublic
    deliveries: list[DeliveryPublic]
    last_events: list[LastEvent]
    window_days: int
    deliveries_in_window: int
    refused_in_window: int
    error_rate: float | None  # refused deliveries / deliveries in the window; None without any
    events_in_window: int
    rejected_events_in_window: int
    previous_secret_until: datetime | None  # set while a rotation window is open


async def partner_deliveries(
    *, session: AsyncSession, officer_id: str, partner_id: UUID
) -> PartnerDeliveries:
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    recent = await session.exec(
        select(KpiPartnerDelivery)
        .where(KpiPartnerDelivery.officer_id == officer_id, KpiPartnerDelivery.partner_id == partner_id)
        .order_by(col(KpiPartnerDelivery.received_at).desc())
        .limit(SHOWN_DELIVERIES)
    )
    since = clock.now() - ERROR_RATE_WINDOW
    refused = func.sum(case((col(KpiPartnerDelivery.outcome) == "refused", 1), else_=0))
    delivered = col(KpiPartnerDelivery.accepted) + col(KpiPartnerDelivery.duplicates)
    total, refused_count, events, rejected = (
        await session.exec(
            select(
                func.count(),
                refused,
                func.sum(delivered + col(KpiPartnerDelivery.rejected)),
                func.sum(col(KpiPartnerDelivery.rejected)),
            ).where(
                KpiPartnerDelivery.officer_id == officer_id,
                KpiPartnerDelivery.partner_id == partner_id,
                col(KpiPartnerDelivery.received_at) >= since,
            )
        )
    ).one()
    last = await session.exec(
        select(KpiPartnerLastEvent)
        .where(KpiPartnerLastEvent.officer_id == officer_id, KpiPartnerLastEvent.partner_id == partner_id)
        .order_by(col(KpiPartnerLastEvent.event_type))
    )
    until = partner.previous_secret_until
    return PartnerDeliveries(
        partner=await partner_public(session=session, partner=partner),
        deliveries=[
            DeliveryPublic(
                webhook_id=row.webhook_id,
                received_at=row.received_at,
                outcome=row.outcome,
                reason=REASONS.get(row.reason or "", row.reason) if row.reason else None,
                accepted=row.accepted,
                duplicates=row.duplicates,
                rejected=row.rejected,
            )
            for row in recent.all()
        ],
        last_events=[
            LastEvent(type=row.event_type, received_at=row.received_at, occurred_at=row.occurred_at)
            for row in last.all()
        ],
        window_days=ERROR_RATE_WINDOW.days,
        deliveries_in_window=total,
        refused_in_window=int(refused_count or 0),
        error_rate=round(int(refused_count or 0) / total, 4) if total else None,
        events_in_window=int(events or 0),
        rejected_events_in_window=int(rejected or 0),
        previous_secret_until=until if until is not None and until > clock.now() else None,
    )


# --- key rotation ------------------------------------------------------------------------------


class SecretRotation(BaseModel):
    """Start a key rotation: a new secret now, the current one still valid for `window_hours`."""

    model_config = ConfigDict(extra="forbid")

    window_hours: int = Field(default=24, ge=1, le=MAX_ROTATION_HOURS)


class SecretRotated(BaseModel):
    """Shown once: hand the new secret to the partner before the window closes."""

    webhook_secret: str
    previous_secret_until: datetime


async def rotate_secret(
    *,
    session: AsyncSession,
    officer_id: str,
    partner_id: UUID,
    rotation: SecretRotation,
    secrets_box: MultiFernet,
) -> SecretRotated:
    """A new webhook secret; the one it replaces verifies too until the window closes.

    Rotating again during a window ends the older window: at most two secrets are ever valid.
    """
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    secret = new_webhook_secret()
    until = clock.now() + timedelta(hours=rotation.window_hours)
    partner.previous_webhook_secret = partner.webhook_secret
    partner.previous_secret_until = until
    partner.webhook_secret = secrets_box.encrypt(secret.encode()).decode()
    session.add(partner)
    await session.commit()
    return SecretRotated(webhook_secret=secret, previous_secret_until=until)
