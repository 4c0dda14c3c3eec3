"""The front door's single writer: what several partner batches leave behind, in one transaction.

Per batch: its webhook-id (a sender's retry is recognised by it), a receipt per event id (per
partner: another partner's "1" is another event), and one outbox row per clinic holding the
events received for the first time. Batches that arrive while a transaction is being written
wait for the next one together: one commit, one fsync and a few statements for all of them,
where a transaction per request queued behind SQLite's single write lock.
"""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import deliveries, partner_batches, postgres_writes
from services.kpi.models import KpiWebhookDelivery
from shared import db, topics
from shared.db import SessionFactory
from shared.events.partner import PartnerActivity
from shared.outbox import current_trace_context, stage_record

# Signed requests older than this are refused by the signature check, so older delivery ids
# can be forgotten: a retry of them would be refused as stale anyway.
WEBHOOK_MEMORY = timedelta(minutes=10)
# Old webhook-ids are deleted at most this often, not in every transaction.
FORGET_EVERY_SECONDS = 60.0
# Rows a statement writes outside SQLite's JSON path (three parameters each, well under limits).
ROWS_PER_STATEMENT = 900


@dataclass
class StagedBatch:
    """A verified, parsed batch on its way to the database; the writer fills in the outcome."""

    officer_id: str  # the partner's officer: the tenant of its receipts and webhook-ids
    partner_id: UUID
    webhook_id: str
    activities: list[PartnerActivity]  # the valid events, in the order sent
    encoded: list[str]  # each as it travels (partner_batches.encode_events)
    received_at: datetime
    trace_context: dict[str, str] = field(default_factory=current_trace_context)
    rejected: int = 0  # events of the batch refused one by one
    refusal: str | None = None  # the whole request refused (deliveries.REASONS): only recorded
    first_delivery: bool = False
    fresh: list[bool] = field(default_factory=list)  # per activity: first time received


class BatchWriter:
    """Writes staged batches in arrival order, each group of waiting batches in one transaction."""

    def __init__(self, sessions: SessionFactory, *, max_group: int) -> None:
        self.sessions = sessions
        self.max_group = max_group
        self._waiting: list[tuple[StagedBatch, asyncio.Future[StagedBatch]]] = []
        self._writing: asyncio.Task[None] | None = None
        self._forgot_at = 0.0  # when old webhook-ids were last deleted (monotonic)

    async def write(self, batch: StagedBatch) -> StagedBatch:
        """Return once the batch is committed, with its outcome filled in."""
        done: asyncio.Future[StagedBatch] = asyncio.get_running_loop().create_future()
        self._waiting.append((batch, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_waiting())
        return await done

    async def _write_waiting(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
            forget = time.monotonic() - self._forgot_at > FORGET_EVERY_SECONDS
            try:
                await write_group(self.sessions, [batch for batch, _ in group], forget_old_deliveries=forget)
            except Exception as error:  # noqa: BLE001 - handed to each waiting request
                for _, done in group:
                    if not done.done():
                        done.set_exception(error)
            else:
                if forget:
                    self._forgot_at = time.monotonic()
                for batch, done in group:
                    if not done.done():  # a request whose partner hung up: committed all the same
                        done.set_result(batch)


async def write_group(
    sessions: SessionFactory, batches: list[StagedBatch], *, forget_old_deliveries: bool = True
) -> None:
    """Remember the batches' webhook-ids, record receipts, stage the new events; commit once.

    A refused request is only recorded for the delivery console: its webhook-id stays unclaimed,
    so the partner's corrected retry under the same id is taken in.
    """
    refused = [batch for batch in batches if batch.refusal is not None]
    batches = [batch for batch in batches if batch.refusal is None]
    async with sessions() as session:
        now = max(batch.received_at for batch in [*batches, *refused])
        if forget_old_deliveries:
            await session.exec(
                delete(KpiWebhookDelivery).where(col(KpiWebhookDelivery.received_at) < now - WEBHOOK_MEMORY)
            )
        if batches:
            await _write_batches(session, batches)
        await deliveries.write_deliveries(
            session,
            [_delivery(batch) for batch in [*batches, *refused]],
            _last_events(batches),
            forget_before=now if forget_old_deliveries else None,
        )
        await session.commit()


def _delivery(batch: StagedBatch) -> dict[str, Any]:
    accepted = sum(batch.fresh)
    return deliveries.delivery_row(
        officer_id=batch.officer_id,
        partner_id=batch.partner_id,
        webhook_id=batch.webhook_id,
        received_at=batch.received_at,
        refusal=batch.refusal,
        first_delivery=batch.first_delivery,
        accepted=accepted,
        duplicates=len(batch.fresh) - accepted,
        rejected=batch.rejected,
    )


def _last_events(batches: list[StagedBatch]) -> dict[tuple[str, UUID, str], tuple[datetime, datetime]]:
    """Per partner and event type: when its newest new event arrived, and when it happened."""
    last: dict[tuple[str, UUID, str], tuple[datetime, datetime]] = {}
    for batch in batches:
        for activity, fresh in zip(batch.activities, batch.fresh, strict=True):
            key = (batch.officer_id, batch.partner_id, activity.type)
            if fresh and (key not in last or last[key][1] < activity.occurred_at):
                last[key] = (batch.received_at, activity.occurred_at)
    return last


async def _write_batches(session: AsyncSession, batches: list[StagedBatch]) -> None:
    """The batches' webhook-ids and receipts, and their new events staged for Kafka."""
    new_deliveries = await _insert_returning(
        session,
        KpiWebhookDelivery,
        [
            {
                "officer_id": batch.officer_id,
                "partner_id": batch.partner_id,
                "webhook_id": batch.webhook_id,
                "received_at": batch.received_at,
            }
            for batch in batches
        ],
        col(KpiWebhookDelivery.partner_id),
        col(KpiWebhookDelivery.webhook_id),
    )
    new_receipts = await _record_receipts(session, batches)
    for batch in batches:
        # Claimed in order: the same id twice (in a batch, or in two of the group) is new once.
        batch.first_delivery = _claim(new_deliveries, (batch.partner_id, batch.webhook_id))
        batch.fresh = [_claim(new_receipts, (batch.partner_id, a.event_id)) for a in batch.activities]
        packed = partner_batches.pack(
            (activity.clinic_id, event)
            for activity, event, fresh in zip(batch.activities, batch.encoded, batch.fresh, strict=True)
            if fresh
        )
        for clinic_id, payload in packed.items():
            stage_record(
                session,
                row_id=str(uuid.uuid4()),
                topic=topics.PARTNER_ACTIVITY.name,
                key=str(clinic_id),
                headers={"content-type": partner_batches.BATCH_CONTENT_TYPE},
                payload=payload,
                trace_context=batch.trace_context,
            )


def _claim(new: set[tuple[UUID, str]], key: tuple[UUID, str]) -> bool:
    if key in new:
        new.discard(key)
        return True
    return False


async def _record_receipts(session: AsyncSession, batches: list[StagedBatch]) -> set[tuple[UUID, str]]:
    """Insert a receipt per (partner, event id); return the pairs not received before."""
    if db.dialect(session) == "sqlite":
        # The hot path: one statement over a JSON array, written as the ORM stores the values
        # (UUIDs as 32 hex digits, "YYYY-MM-DD HH:MM:SS.ffffff" times).
        pairs = []
        for batch in batches:
            partner, received_at = batch.partner_id.hex, batch.received_at.strftime("%Y-%m-%d %H:%M:%S.%f")
            officer = batch.officer_id
            pairs += [(officer, partner, activity.event_id, received_at) for activity in batch.activities]
        if not pairs:
            return set()
        partners = {batch.partner_id.hex: batch.partner_id for batch in batches}
        connection = await session.connection()
        result = await connection.exec_driver_sql(
            "INSERT INTO kpi_partner_event_receipt (officer_id, partner_id, event_id, received_at) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]') FROM json_each(?) WHERE true "
            "ON CONFLICT DO NOTHING RETURNING partner_id, event_id",
            (json.dumps(pairs),),
        )
        return {(partners[partner], event_id) for partner, event_id in result}
    return await postgres_writes.record_receipts(
        session,
        [
            (batch.officer_id, batch.partner_id, activity.event_id, batch.received_at)
            for batch in batches
            for activity in batch.activities
        ],
    )


async def _insert_returning(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], *key: Any
) -> set[tuple[UUID, str]]:
    """Insert rows that are not there yet; return the keys of those inserted."""
    insert = postgresql.insert if db.dialect(session) == "postgresql" else sqlite.insert
    inserted: set[tuple[UUID, str]] = set()
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        statement = (
            insert(table)
            .values(rows[start : start + ROWS_PER_STATEMENT])
            .on_conflict_do_nothing()
            .returning(*key)
        )
        inserted.update((first, second) for first, second in (await session.exec(statement)).all())
    return inserted
