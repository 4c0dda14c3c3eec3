"""Partner events counted: batches applied to the daily aggregates, each event exactly once.

The hot path. The Kafka subscriber (services.kpi.handlers) parses a batch of records into an
ActivityBatch and hands it to the ActivityWriter, which applies it behind the consumer in one
transaction (counters, AI-tool staff and inbox rows), dead-letters the bad records and commits
the batch's own offsets. Two stores write the aggregates, each one statement per table per
batch: SQLite's over a JSON array (below), PostgreSQL's over arrays (services.kpi.postgres_writes).
"""

import asyncio
import dataclasses
import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Any, cast
from uuid import UUID

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import freshness, kpis
from services.kpi.counters import DATED_COUNTERS
from services.kpi.models import KpiClinic, KpiDailyCounter
from services.kpi.partner_batches import BATCH_CONTENT_TYPE, BatchRefused, event_json, parse_batch
from services.kpi.partner_edge import dead_letter_copy, refuse_raw_staff_ids
from services.kpi.postgres_writes import CounterKey, PostgresStore
from shared import clock, db
from shared.broker import dead_letter_record
from shared.calendar import BUSINESS_DAY_MINUTES, UTC_CALENDAR, ClinicCalendar
from shared.db import SessionFactory
from shared.events.envelope import ContractError
from shared.events.partner import (
    AiToolSession,
    MessageAnswered,
    NoteSigned,
    PartnerActivity,
    parse_kafka_record,
)
from shared.inbox import first_deliveries

log = logging.getLogger(__name__)

ACTIVITY_CONSUMER = "kpi.on_partner_activity"
_BATCH_TYPE = BATCH_CONTENT_TYPE.encode()
# A batch that cannot be applied is retried, backing off up to this long between attempts.
MAX_RETRY_SECONDS = 30.0
# Validating a batch yields to the event loop every so many records: each statement of the
# previous batch's write waits for the loop to hand it to SQLite's thread.
YIELD_EVERY = 250
# SQLite allows 32,766 bound parameters a statement; stay well under it.
IN_CHUNK = 900


@dataclasses.dataclass
class ActivityBatch:
    """A batch of partner-activity records, validated: what to apply, what to park, where it ends."""

    good: list[PartnerActivity]
    bad: list[tuple[ConsumerRecord[Any, Any], ContractError]]
    # Per good event, the record it came in (one record holds a whole HTTP batch for one clinic).
    sources: list[ConsumerRecord[Any, Any]]
    # Per partition, the offset after the batch's last record: what to commit once it is applied.
    next_offsets: dict[TopicPartition, int]

    @classmethod
    async def parse(cls, records: Sequence[ConsumerRecord[Any, Any]], *, now: datetime) -> "ActivityBatch":
        good: list[PartnerActivity] = []
        bad: list[tuple[ConsumerRecord[Any, Any], ContractError]] = []
        sources: list[ConsumerRecord[Any, Any]] = []
        for index, record in enumerate(records, start=1):
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the previous batch's write issue its next statement
            try:
                activity = parse_kafka_record(record.headers or (), record.key, record.value, now=now)
                if refused := refuse_raw_staff_ids(activity):
                    raise refused
                good.append(activity)
                sources.append(record)
            except ContractError as problem:
                # Checked only here: a record that is one event (the hot path) pays nothing for it.
                if is_event_batch(record):
                    before = len(good)
                    unpack_event_batch(record, now=now, good=good, bad=bad)
                    sources += [record] * (len(good) - before)
                else:
                    bad.append((record, problem))
        # A partition's records come in offset order: its last one is where the batch ends.
        last = {(record.topic, record.partition): record.offset for record in records}
        next_offsets = {TopicPartition(*partition): offset + 1 for partition, offset in last.items()}
        return cls(good=good, bad=bad, sources=sources, next_offsets=next_offsets)


def is_event_batch(record: ConsumerRecord[Any, Any]) -> bool:
    """A record holding a partner's HTTP batch for one clinic (services.kpi.partner_batches)."""
    return any(name == "content-type" and value == _BATCH_TYPE for name, value in record.headers or ())


def unpack_event_batch(
    record: ConsumerRecord[Any, Any],
    *,
    now: datetime,
    good: list[PartnerActivity],
    bad: list[tuple[ConsumerRecord[Any, Any], ContractError]],
) -> None:
    """Each event of a batch record, validated on its own: a bad one is parked alone.

    Its dead-letter record holds that event as a structured CloudEvent, with its id and its
    place in the batch, so it can be inspected and replayed like any other.
    """
    payload = record.value or b""
    try:
        parsed = parse_batch(payload, now=now)
    except BatchRefused as refused:
        bad.append((record, refused))
        return
    kept_headers = tuple((name, value) for name, value in record.headers or () if name != "content-type")
    for index, outcome in enumerate(parsed.outcomes):
        problem = refuse_raw_staff_ids(outcome) if isinstance(outcome, PartnerActivity) else outcome
        if problem is None:
            good.append(cast(PartnerActivity, outcome))
            continue
        headers = (
            *kept_headers,
            ("content-type", b"application/cloudevents+json"),
            ("ce_id", (parsed.ids[index] or "").encode()),
            ("dlq_batch_index", str(index).encode()),
        )
        event = dataclasses.replace(record, value=event_json(parsed, payload, index), headers=headers)
        bad.append((event, problem))


class UnknownClinic(ContractError):
    """A partner event for a clinic kpi has not been told of (no clinic.registered seen).

    Never counted blind: a mistyped clinic id would otherwise grow counters nobody can read.
    """

    def __init__(self, clinic_id: UUID) -> None:
        super().__init__(
            f"clinic {clinic_id} is not registered with kpi, so this event was not counted: check the "
            "clinic id (the record's key and ce_subject); if the clinic was registered at intake since, "
            "replay this record with `faio dlq replay`"
        )


class KnownClinics:
    """The clinics kpi has recorded, remembered once seen: clinics are never deleted here."""

    def __init__(self) -> None:
        self._known: set[UUID] = set()

    async def unknown(self, session: AsyncSession, clinic_ids: set[UUID]) -> set[UUID]:
        """Which of `clinic_ids` kpi has no record of (one query for those not remembered yet)."""
        asked = clinic_ids - self._known
        if asked:
            self._known.update(await _existing(session, col(KpiClinic.id), list(asked)))
        return clinic_ids - self._known


def set_aside_unknown(
    batch: ActivityBatch, unknown: set[UUID]
) -> tuple[list[PartnerActivity], list[tuple[ConsumerRecord[Any, Any], ContractError]]]:
    """The batch's events for known clinics, and each record naming an unknown clinic (once)."""
    if not unknown:
        return batch.good, []
    kept: list[PartnerActivity] = []
    parked: dict[int, tuple[ConsumerRecord[Any, Any], ContractError]] = {}
    for activity, record in zip(batch.good, batch.sources, strict=True):
        if activity.clinic_id in unknown:
            parked.setdefault(id(record), (record, UnknownClinic(activity.clinic_id)))
        else:
            kept.append(activity)
    return kept, list(parked.values())


class ActivityWriter:
    """Applies partner-activity batches one at a time, in order, behind the consumer.

    SQLite writes a batch in its own thread without the GIL (_SqliteStore below) and
    waits for its commit's fsync, while the event loop reads and validates the next batch:
    about a tenth more events a second on two cores (tests/bench/bench_kpi.py). Each batch's own offsets are
    committed after its transaction and its dead-letter records, never the consumer's
    position, which is already past the next batch: a crash anywhere redelivers what is not
    committed yet, and the inbox skips what was applied. At most two batches are in memory.
    """

    def __init__(self, sessions: SessionFactory, broker: KafkaBroker, *, pseudonym_secret: str) -> None:
        self.sessions = sessions
        self.broker = broker
        self.pseudonym_secret = pseudonym_secret
        self.clinics = KnownClinics()
        self._writing: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, batch: ActivityBatch, consumer: AIOKafkaConsumer) -> None:
        """Wait for the previous batch to be written, then start writing this one."""
        await self.drain()
        self._writing = asyncio.create_task(self._write(batch, consumer))
        if self._closed:  # shutting down: write now, the consumer is about to stop
            await self.drain()

    async def drain(self) -> None:
        if self._writing is not None:
            # Shielded: a handler cancelled at shutdown leaves the write to finish in close().
            await asyncio.shield(self._writing)
            self._writing = None

    async def close(self) -> None:
        """Finish the batch being written (and commit its offsets) before the consumer stops."""
        self._closed = True
        await self.drain()

    async def _write(self, batch: ActivityBatch, consumer: AIOKafkaConsumer) -> None:
        # A batch that cannot be applied (the database is down, say) keeps its place and holds
        # back the next one, retried as a redelivery would be, until it is applied.
        for attempt in itertools.count(1):
            try:
                await self._apply(batch)
                break
            except Exception:  # retried below, while the consumer waits
                delay = min(MAX_RETRY_SECONDS, 0.2 * 2**attempt)
                log.warning(
                    "applying a batch of %s partner events failed (attempt %s); retrying in %.1fs",
                    len(batch.good) + len(batch.bad),
                    attempt,
                    delay,
                    exc_info=True,
                )
                await asyncio.sleep(delay)
        try:
            await consumer.commit(batch.next_offsets)
        except KafkaError as error:
            # The partitions went to another instance (a rebalance): it reads the batch again
            # from the last commit, and the inbox skips every event applied here.
            log.info("offsets of an applied batch not committed (%s); redelivered and skipped", error)

    async def _apply(self, batch: ActivityBatch) -> None:
        bad = batch.bad
        if batch.good:
            async with self.sessions() as session:
                unknown = await self.clinics.unknown(session, {activity.clinic_id for activity in batch.good})
                good, unknown_records = set_aside_unknown(batch, unknown)
                bad = [*bad, *unknown_records]
                await apply_activity_batch(session=session, activities=good)
                # SQLite stays at synchronous=FULL (an fsync of the WAL per commit), not NORMAL:
                # the offsets are committed to Kafka right after this, so a commit lost to a
                # power cut would never be redelivered. Large batches amortize the fsync instead.
                await session.commit()
            freshness.observe_readable(batch.sources, now=clock.now())
        # After the commit: a crash in between redelivers the batch; the good records are then
        # duplicates (skipped) and the bad ones are parked again (at least once, never lost).
        # Published together: a flood of bad records (a partner's wrong clinic id) must not
        # crawl at one broker round trip each.
        # A parked record may name staff by a raw id (refused for that, or for something else
        # besides): its dead letter keeps them keyed (services.kpi.partner_edge).
        secret = self.pseudonym_secret
        await asyncio.gather(
            *(
                dead_letter_record(self.broker, dead_letter_copy(record, secret=secret), error)
                for record, error in bad
            )
        )


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    clinics: set[UUID] = field(default_factory=set)


async def apply_activity_batch(
    *, session: AsyncSession, activities: Sequence[PartnerActivity], consumer: str = ACTIVITY_CONSUMER
) -> BatchOutcome:
    """Add a batch of validated events to the daily aggregates, each event exactly once.

    Duplicates (already in the inbox, or twice in this batch) are skipped and counted by the
    inbox (shared.inbox.first_deliveries, as every consumer); the inbox rows go in the same
    transaction as the counters, so a crash before the commit leaves neither and a redelivery
    is counted once. Days are the event's own date: a late event lands in its week.
    The caller commits.
    """
    fresh = await first_deliveries(
        session, consumer=consumer, events=activities, event_id=attrgetter("event_id")
    )
    outcome = BatchOutcome(duplicates=len(activities) - len(fresh))
    if not fresh:
        return outcome

    # Pre-aggregated in memory: one upsert per clinic, day and counter for the whole batch,
    # however many of its events share them. Keyed by plain values (not UUID objects, whose
    # hashing shows up in a profile of this loop).
    counters: defaultdict[CounterKey, float] = defaultdict(float)
    staff: defaultdict[CounterKey, list[float]] = defaultdict(lambda: [0.0, 0])
    notes: defaultdict[CounterKey, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    dated = DATED_COUNTERS
    calendars = await _clinic_calendars(session, {activity.clinic_id for activity in fresh})
    zones = {clinic: calendar.zone for clinic, calendar in calendars.items()}
    for activity in fresh:
        clinic = activity.clinic_id.int
        # The clinic's own day: a note signed at 23:30 on Sunday in Los Angeles counts on that Sunday.
        day = activity.occurred_at.astimezone(zones.get(clinic, UTC)).date()
        body = activity.body
        kind = type(body)
        for name, value in kpis.counters_for(body):
            counters[clinic, day, name] += value
        if kind in dated:  # a no-show on its visit's date, a completed referral on its sending day
            for cohort_day, name, value in dated[kind](body, day):
                counters[clinic, cohort_day, name] += value
        if type(body) is NoteSigned and body.staff_id is not None:  # the per-clinician sums (paired gate)
            note = notes[clinic, day, body.staff_id]
            note[0] += 1
            note[1] += body.documentation_minutes
            note[2] += body.ai_assisted
        elif type(body) is MessageAnswered:  # within a business day: counted in the clinic's opening hours
            calendar = calendars.get(clinic, UTC_CALENDAR)
            arrived = activity.occurred_at - timedelta(minutes=body.response_minutes)
            if calendar.business_minutes_between(arrived, activity.occurred_at) <= BUSINESS_DAY_MINUTES:
                counters[clinic, day, kpis.ANSWERED_WITHIN_BUSINESS_DAY] += 1
        elif type(body) is AiToolSession:  # the AI-tool KPIs also count who used it
            entry = staff[clinic, day, body.staff_id]
            entry[0] += body.minutes
            entry[1] += 1
    outcome.clinics = {UUID(int=clinic) for clinic in {key[0] for key in counters}}
    store = _SqliteStore(session) if db.dialect(session) == "sqlite" else PostgresStore(session)
    await store.add(counters, staff, notes)
    outcome.applied = len(fresh)
    return outcome


async def _clinic_calendars(session: AsyncSession, clinic_ids: set[UUID]) -> dict[int, ClinicCalendar]:
    """Each clinic's calendar (one query a batch), keyed as the batch loop keys clinics."""
    rows = await session.exec(select(KpiClinic).where(col(KpiClinic.id).in_(list(clinic_ids))))
    return {clinic.id.int: clinic.calendar() for clinic in rows.all()}


class _SqliteStore:
    """The batch's writes as SQLite statements over one JSON array (PostgreSQL's: PostgresStore).

    Each statement binds a single parameter, a JSON array of rows, and SQLite expands it
    itself (json_each). Row by row (executemany) the driver binds each row holding the GIL
    and SQLite's work in between is too short to overlap with anything; as one statement
    the whole write runs in SQLite's thread without the GIL, while the event loop reads and
    validates the next batch. The values are written exactly as the ORM stores them (UUIDs
    as 32 hex digits, ISO dates, "YYYY-MM-DD HH:MM:SS.ffffff" times). A batch touches few
    clinics and days but thousands of rows, so each id and day is formatted once per batch.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        counters: dict[CounterKey, float],
        staff: dict[CounterKey, list[float]],
        notes: dict[CounterKey, list[float]],
    ) -> None:
        connection = await self.session.connection()
        clinic_hex: dict[int, str] = {}
        day_iso: dict[date, str] = {}

        def clinic_day(clinic: int, day: date) -> tuple[str, str]:
            text = clinic_hex.get(clinic)
            if text is None:
                text = clinic_hex[clinic] = f"{clinic:032x}"
            iso = day_iso.get(day)
            if iso is None:
                iso = day_iso[day] = day.isoformat()
            return text, iso

        # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
        await connection.exec_driver_sql(
            "INSERT INTO kpi_daily_counter (clinic_id, day, name, value) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]') FROM json_each(?) WHERE true "
            "ON CONFLICT (clinic_id, day, name) DO UPDATE SET value = value + excluded.value",
            (json.dumps([(*clinic_day(c, d), n, v) for (c, d, n), v in counters.items()]),),
        )
        if staff:
            await connection.exec_driver_sql(
                "INSERT INTO kpi_daily_staff (clinic_id, day, staff_id, minutes, sessions) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') "
                "FROM json_each(?) WHERE true "
                "ON CONFLICT (clinic_id, day, staff_id) DO UPDATE SET minutes = minutes + excluded.minutes, "
                "sessions = sessions + excluded.sessions",
                (json.dumps([(*clinic_day(c, d), s, m, int(n)) for (c, d, s), (m, n) in staff.items()]),),
            )
        if notes:
            await connection.exec_driver_sql(
                "INSERT INTO kpi_daily_clinician_notes "
                "(clinic_id, day, staff_id, notes, minutes, ai_assisted) "
                "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
                "json_extract(value, '$[5]') FROM json_each(?) WHERE true "
                "ON CONFLICT (clinic_id, day, staff_id) DO UPDATE SET notes = notes + excluded.notes, "
                "minutes = minutes + excluded.minutes, ai_assisted = ai_assisted + excluded.ai_assisted",
                (
                    json.dumps(
                        [(*clinic_day(c, d), s, int(n), m, int(a)) for (c, d, s), (n, m, a) in notes.items()]
                    ),
                ),
            )


async def _existing(session: AsyncSession, column: Any, ids: Sequence[Any], *extra: Any) -> set[Any]:
    """Which of `ids` already have a row (queried in chunks to respect parameter limits)."""
    found: set[Any] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), IN_CHUNK):
        chunk = unique[start : start + IN_CHUNK]
        statement = select(column).where(column.in_(chunk), *extra)
        found.update((await session.exec(statement)).all())
    return found


async def clinic_totals(
    *, session: AsyncSession, clinic_ids: Iterable[UUID], name: str = "events"
) -> dict[UUID, float]:
    """Sum of one counter per clinic over all days (operations and tests check totals with it)."""
    ids = list(clinic_ids)
    rows = await session.exec(
        select(KpiDailyCounter.clinic_id, func.sum(KpiDailyCounter.value))
        .where(col(KpiDailyCounter.clinic_id).in_(ids), KpiDailyCounter.name == name)
        .group_by(col(KpiDailyCounter.clinic_id))
    )
    return {clinic: float(total) for clinic, total in rows.all()}
