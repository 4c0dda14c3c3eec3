"""KPI monitoring's domain logic: partners, ingestion, aggregation, series, snapshots, alerts.

The arithmetic lives in `services.kpi.kpis` (plain functions); this module moves data between
those functions and the database, one transaction at a time.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.fernet import MultiFernet
from opentelemetry import propagate
from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import kpis
from services.kpi.models import (
    AlertPublic,
    ClinicKpis,
    EventResult,
    FieldProblemPublic,
    IngestionReport,
    InitiativePublic,
    KpiAlertRecord,
    KpiClinic,
    KpiDailyCounter,
    KpiDailyStaff,
    KpiInitiative,
    KpiPartner,
    KpiPartnerClinic,
    KpiPartnerEventReceipt,
    KpiPoint,
    KpiSeries,
    KpiSnapshotRecord,
    KpiWebhookDelivery,
    PartnerCreate,
    PartnerCreated,
    PartnerPublic,
)
from shared.events import ClinicRegistered
from shared.events.envelope import Envelope
from shared.events.intake import ClinicUpdated
from shared.events.kpi import KpiAlert, KpiSnapshot
from shared.events.partner import AiToolSession, PartnerActivity, PartnerEventInvalid, parse_http_event
from shared.events.roadmap import InitiativeApproved, PlanPhaseChanged
from shared.inbox import InboxMessage
from shared.outbox import OutboxMessage, add_to_outbox

API_KEY_PREFIX = "fpk_"
MAX_BATCH = 1000
# Signed requests older than this are refused by the signature check, so older delivery ids
# can be forgotten: a replay of them would be refused as stale anyway.
WEBHOOK_MEMORY = timedelta(minutes=10)
# How many past weeks one evaluation may catch up on (snapshots missed while the service was down).
CATCH_UP_WEEKS = 12
SOURCE = "/faio/kpi"
ACTIVITY_CONSUMER = "kpi.on_partner_activity"
# SQLite allows 32,766 bound parameters a statement; stay well under it.
IN_CHUNK = 900


class ClinicNotFound(LookupError):
    """No such clinic for this officer (another officer's clinic looks the same: 404)."""


class PartnerNotFound(LookupError):
    """No such partner for this officer."""


class ClinicsNotLinked(PermissionError):
    """A partner sent events for clinics it is not linked to; nothing of the batch is stored."""

    def __init__(self, clinic_ids: Sequence[UUID]) -> None:
        self.clinic_ids = list(clinic_ids)
        super().__init__(
            "partner is not linked to clinic(s) " + ", ".join(str(item) for item in self.clinic_ids)
        )


# --- clinics and initiatives (from other services' events) --------------------------------


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered | ClinicUpdated) -> KpiClinic:
    """Remember a registered clinic, or refresh it when its profile changes."""
    existing = await session.get(KpiClinic, event.clinic_id)
    if existing is not None and isinstance(event, ClinicRegistered):
        # Registration is a clinic's first profile: a row already here is that registration
        # redelivered or an update that overtook it (another topic). Keep the newer profile.
        return existing
    clinic = existing or KpiClinic(id=event.clinic_id, officer_id=event.officer_id, name=event.name)
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    session.add(clinic)
    return clinic


async def record_initiative(*, session: AsyncSession, event: InitiativeApproved) -> KpiInitiative:
    """Remember an approved initiative: its KPI, baseline window, target and pilot group."""
    initiative = await session.get(KpiInitiative, event.initiative_id) or KpiInitiative(
        id=event.initiative_id,
        clinic_id=event.clinic_id,
        kpi=event.kpi,
        baseline_start=event.baseline_start,
        baseline_end=event.baseline_end,
        target_change_pct=event.target_change_pct,
        approved_at=event.approved_at,
    )
    initiative.kpi = event.kpi
    initiative.baseline_start = event.baseline_start
    initiative.baseline_end = event.baseline_end
    initiative.target_change_pct = event.target_change_pct
    initiative.pilot_group = list(event.pilot_group)
    session.add(initiative)
    return initiative


async def record_phase_change(*, session: AsyncSession, event: PlanPhaseChanged) -> None:
    """Note when the pilot started (adoption is watched from then) and when a plan ended."""
    initiative = await session.get(KpiInitiative, event.initiative_id)
    if initiative is None:
        return
    if event.phase == "pilot" and initiative.pilot_started_on is None:
        initiative.pilot_started_on = event.changed_at.date()
    if event.phase in ("done", "stopped"):
        initiative.active = False
    session.add(initiative)


async def officer_clinic(*, session: AsyncSession, officer_id: str, clinic_id: UUID) -> KpiClinic:
    clinic = await session.get(KpiClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise ClinicNotFound(f"clinic {clinic_id} not found")
    return clinic


# --- partners -----------------------------------------------------------------------------


def hash_api_key(api_key: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(api_key.encode()).hexdigest()


def open_webhook_secret(stored: str, secrets_box: MultiFernet) -> str:
    """A partner's webhook secret as the partner signs with it; InvalidToken if no key opens it."""
    if stored.startswith("whsec_"):  # recorded before secrets were encrypted at rest
        return stored
    return secrets_box.decrypt(stored.encode()).decode()


async def create_partner(
    *, session: AsyncSession, officer_id: str, partner_in: PartnerCreate, secrets_box: MultiFernet
) -> PartnerCreated:
    """Register a partner linked to some of the officer's clinics; its secrets are returned once."""
    for clinic_id in set(partner_in.clinic_ids):
        await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    # Standard Webhooks secrets are "whsec_" + base64 of 24-64 random bytes.
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    partner = KpiPartner(
        id=uuid.uuid4(),
        officer_id=officer_id,
        name=partner_in.name,
        kind=partner_in.kind,
        api_key_hash=hash_api_key(api_key),
        # Encrypted at rest: HMAC verification needs the secret itself, not a hash of it.
        webhook_secret=secrets_box.encrypt(webhook_secret.encode()).decode(),
    )
    session.add(partner)
    await session.flush()
    for clinic_id in sorted(set(partner_in.clinic_ids)):
        session.add(KpiPartnerClinic(partner_id=partner.id, clinic_id=clinic_id))
    await session.commit()
    public = await partner_public(session=session, partner=partner)
    return PartnerCreated(**public.model_dump(), api_key=api_key, webhook_secret=webhook_secret)


async def partner_public(*, session: AsyncSession, partner: KpiPartner) -> PartnerPublic:
    links = await session.exec(
        select(KpiPartnerClinic.clinic_id).where(KpiPartnerClinic.partner_id == partner.id)
    )
    return PartnerPublic(
        id=partner.id,
        name=partner.name,
        kind=partner.kind,
        clinic_ids=sorted(links.all()),
        source=partner.source,
        created_at=partner.created_at,
    )


async def list_partners(*, session: AsyncSession, officer_id: str) -> list[PartnerPublic]:
    """The officer's partners, without secrets."""
    partners = await session.exec(
        select(KpiPartner).where(KpiPartner.officer_id == officer_id).order_by(col(KpiPartner.created_at))
    )
    return [await partner_public(session=session, partner=partner) for partner in partners.all()]


async def officer_partner(*, session: AsyncSession, officer_id: str, partner_id: UUID) -> KpiPartner:
    partner = await session.get(KpiPartner, partner_id)
    if partner is None or partner.officer_id != officer_id:
        raise PartnerNotFound(f"partner {partner_id} not found")
    return partner


async def link_clinic(
    *, session: AsyncSession, officer_id: str, partner_id: UUID, clinic_id: UUID
) -> PartnerPublic:
    """Let the partner publish for one more of the officer's clinics (idempotent)."""
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    if await session.get(KpiPartnerClinic, (partner_id, clinic_id)) is None:
        session.add(KpiPartnerClinic(partner_id=partner_id, clinic_id=clinic_id))
        await session.commit()
    return await partner_public(session=session, partner=partner)


async def unlink_clinic(
    *, session: AsyncSession, officer_id: str, partner_id: UUID, clinic_id: UUID
) -> PartnerPublic:
    """Stop accepting the partner's events for a clinic."""
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    link = await session.get(KpiPartnerClinic, (partner_id, clinic_id))
    if link is not None:
        await session.delete(link)
        await session.commit()
    return await partner_public(session=session, partner=partner)


async def authenticate_partner(*, session: AsyncSession, api_key: str) -> KpiPartner | None:
    """The partner holding `api_key`, or None."""
    key_hash = hash_api_key(api_key)
    partner = (await session.exec(select(KpiPartner).where(KpiPartner.api_key_hash == key_hash))).first()
    if partner is None or not hmac.compare_digest(partner.api_key_hash, key_hash):
        return None
    return partner


# --- HTTP ingestion -----------------------------------------------------------------------


async def remember_delivery(
    *, session: AsyncSession, partner_id: UUID, webhook_id: str, now: datetime
) -> bool:
    """Record a signed request's id; False if it was already received (a replay)."""
    await session.exec(
        delete(KpiWebhookDelivery).where(col(KpiWebhookDelivery.received_at) < now - WEBHOOK_MEMORY)
    )
    if await session.get(KpiWebhookDelivery, (partner_id, webhook_id)) is not None:
        return False
    session.add(KpiWebhookDelivery(partner_id=partner_id, webhook_id=webhook_id, received_at=now))
    return True


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
    linked = set(
        (
            await session.exec(
                select(KpiPartnerClinic.clinic_id).where(KpiPartnerClinic.partner_id == partner.id)
            )
        ).all()
    )
    named = {subject for subject in map(_subject_of, events) if subject is not None}
    if named - linked:
        raise ClinicsNotLinked(sorted(named - linked))

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

    seen = await _existing(
        session, KpiPartnerEventReceipt, col(KpiPartnerEventReceipt.event_id), [a.event_id for _, a in valid]
    )
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
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
        session.add(
            OutboxMessage(
                event_id=activity.event_id,
                topic=activity.body.topic.name,
                key=str(activity.clinic_id),
                headers=envelope.to_headers(),
                payload=activity.body.model_dump_json(exclude_none=True).encode(),
                trace_context=carrier,
            )
        )
    statuses = [result.status for result in results]
    return IngestionReport(
        accepted=statuses.count("accepted"),
        duplicates=statuses.count("duplicate"),
        rejected=statuses.count("rejected"),
        results=results,
    )


async def _existing(
    session: AsyncSession, table: Any, column: Any, ids: Sequence[str], *extra: Any
) -> set[str]:
    """Which of `ids` already have a row (queried in chunks to respect parameter limits)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), IN_CHUNK):
        chunk = unique[start : start + IN_CHUNK]
        statement = select(column).where(column.in_(chunk), *extra)
        found.update((await session.exec(statement)).all())
    return found


# --- the hot path: aggregate a batch of partner events ------------------------------------


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    clinics: set[UUID] = field(default_factory=set)


async def apply_activity_batch(
    *, session: AsyncSession, activities: Sequence[PartnerActivity], consumer: str = ACTIVITY_CONSUMER
) -> BatchOutcome:
    """Add a batch of validated events to the daily aggregates, each event exactly once.

    Duplicates (already in the inbox, or twice in this batch) are skipped; the inbox rows go
    in the same transaction as the counters, so a crash before the commit leaves neither and a
    redelivery is counted once. Days are the event's own date: a late event lands in its week.
    The caller commits.
    """
    outcome = BatchOutcome()
    unique = list({activity.event_id: activity for activity in reversed(activities)}.values())[::-1]
    outcome.duplicates = len(activities) - len(unique)
    store = _SqliteStore(session) if _dialect(session) == "sqlite" else _CoreStore(session)
    done = await store.already_applied(consumer, [activity.event_id for activity in unique])
    fresh = [activity for activity in unique if activity.event_id not in done]
    outcome.duplicates += len(unique) - len(fresh)
    if not fresh:
        return outcome

    # Pre-aggregated in memory: one upsert per clinic, day and counter for the whole batch,
    # however many of its events share them. Keyed by plain values (not UUID objects, whose
    # hashing shows up in a profile of this loop).
    counters: defaultdict[CounterKey, float] = defaultdict(float)
    staff: defaultdict[CounterKey, list[float]] = defaultdict(lambda: [0.0, 0])
    for activity in fresh:
        clinic = activity.clinic_id.int
        day = activity.occurred_at.date()
        body = activity.body
        for name, value in kpis.counters_for(body):
            counters[clinic, day, name] += value
        if type(body) is AiToolSession:  # the AI-tool KPIs also count who used it
            entry = staff[clinic, day, body.staff_id]
            entry[0] += body.minutes
            entry[1] += 1
    outcome.clinics = {UUID(int=clinic) for clinic in {key[0] for key in counters}}
    await store.add(counters, staff)
    await store.mark_applied(consumer, [activity.event_id for activity in fresh])
    outcome.applied = len(fresh)
    return outcome


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else ""


CounterKey = tuple[int, date, str]  # (clinic id as an int, day, name)


class _CoreStore:
    """Aggregates written with SQLAlchemy Core: any database with INSERT ... ON CONFLICT."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.insert: Any = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert

    async def already_applied(self, consumer: str, ids: Sequence[str]) -> set[str]:
        return await _existing(
            self.session,
            InboxMessage,
            col(InboxMessage.event_id),
            ids,
            col(InboxMessage.consumer) == consumer,
        )

    async def add(self, counters: dict[CounterKey, float], staff: dict[CounterKey, list[float]]) -> None:
        connection = await self.session.connection()
        statement = self.insert(KpiDailyCounter)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["clinic_id", "day", "name"],
                set_={"value": KpiDailyCounter.value + statement.excluded.value},
            ),
            [
                {"clinic_id": UUID(int=c), "day": d, "name": n, "value": v}
                for (c, d, n), v in counters.items()
            ],
        )
        if staff:
            staff_statement = self.insert(KpiDailyStaff)
            await connection.execute(
                staff_statement.on_conflict_do_update(
                    index_elements=["clinic_id", "day", "staff_id"],
                    set_={
                        "minutes": KpiDailyStaff.minutes + staff_statement.excluded.minutes,
                        "sessions": KpiDailyStaff.sessions + staff_statement.excluded.sessions,
                    },
                ),
                [
                    {"clinic_id": UUID(int=c), "day": d, "staff_id": s, "minutes": m, "sessions": int(n)}
                    for (c, d, s), (m, n) in staff.items()
                ],
            )

    async def mark_applied(self, consumer: str, ids: Sequence[str]) -> None:
        connection = await self.session.connection()
        now = datetime.now(UTC)
        await connection.execute(
            self.insert(InboxMessage),
            [{"consumer": consumer, "event_id": item, "processed_at": now} for item in ids],
        )


class _SqliteStore:
    """The same writes as _CoreStore, as SQLite statements over one JSON array: the hot path.

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

    async def already_applied(self, consumer: str, ids: Sequence[str]) -> set[str]:
        connection = await self.session.connection()
        result = await connection.exec_driver_sql(
            "SELECT event_id FROM inbox WHERE consumer = ? AND event_id IN (SELECT value FROM json_each(?))",
            (consumer, json.dumps(ids)),
        )
        return {row[0] for row in result}

    async def add(self, counters: dict[CounterKey, float], staff: dict[CounterKey, list[float]]) -> None:
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

    async def mark_applied(self, consumer: str, ids: Sequence[str]) -> None:
        connection = await self.session.connection()
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        await connection.exec_driver_sql(
            "INSERT INTO inbox (consumer, event_id, processed_at) SELECT ?, value, ? FROM json_each(?)",
            (consumer, now, json.dumps(ids)),
        )


# --- reading KPIs -------------------------------------------------------------------------


async def load_days(
    *, session: AsyncSession, clinic_id: UUID, start: date, end: date
) -> dict[date, kpis.PeriodData]:
    """The clinic's per-day aggregates between two dates (inclusive)."""
    counter_rows = await session.exec(
        select(col(KpiDailyCounter.day), col(KpiDailyCounter.name), col(KpiDailyCounter.value)).where(
            KpiDailyCounter.clinic_id == clinic_id,
            col(KpiDailyCounter.day) >= start,
            col(KpiDailyCounter.day) <= end,
        )
    )
    staff_rows = await session.exec(
        select(col(KpiDailyStaff.day), col(KpiDailyStaff.staff_id), col(KpiDailyStaff.minutes)).where(
            KpiDailyStaff.clinic_id == clinic_id,
            col(KpiDailyStaff.day) >= start,
            col(KpiDailyStaff.day) <= end,
        )
    )
    return kpis.merge_days(counter_rows.all(), staff_rows.all())


async def active_initiative(*, session: AsyncSession, clinic_id: UUID) -> KpiInitiative | None:
    """The clinic's most recently approved initiative still running (one problem at a time)."""
    statement = (
        select(KpiInitiative)
        .where(KpiInitiative.clinic_id == clinic_id, col(KpiInitiative.active).is_(True))
        .order_by(col(KpiInitiative.approved_at).desc())
    )
    return (await session.exec(statement)).first()


async def clinic_kpis(
    *,
    session: AsyncSession,
    officer_id: str,
    clinic_id: UUID,
    granularity: kpis.Granularity,
    start: date,
    end: date,
    names: Sequence[str] = (),
) -> ClinicKpis:
    """KPI series for one of the officer's clinics, each period with a value or an explicit no data."""
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    initiative = await active_initiative(session=session, clinic_id=clinic_id)
    load_start = min(start, initiative.baseline_start) if initiative else start
    days = await load_days(session=session, clinic_id=clinic_id, start=load_start, end=end)
    in_range = {day: data for day, data in days.items() if start <= day <= end}
    periods = kpis.group_periods(in_range, granularity)
    labels = kpis.periods_between(start, end, granularity)
    pilot_group = initiative.pilot_group if initiative else []
    series = []
    for definition in kpis.definitions():
        if names and definition.name not in names:
            continue
        baseline = target = None
        if initiative is not None and initiative.kpi == definition.name:
            baseline = kpis.baseline_value(
                definition,
                days,
                start=initiative.baseline_start,
                end=initiative.baseline_end,
                pilot_group=pilot_group,
            ).value
            target = kpis.target_value(baseline, initiative.target_change_pct)
        points = []
        for label in labels:
            value = kpis.compute_kpi(
                definition, periods.get(label, kpis.PeriodData()), pilot_group=pilot_group
            )
            points.append(
                KpiPoint(
                    period=label,
                    value=value.value,
                    sample_size=value.sample_size,
                    no_data=value.no_data,
                    progress=kpis.progress(value.value, baseline=baseline, target=target),
                )
            )
        series.append(
            KpiSeries(
                name=definition.name,
                title=definition.title,
                unit=definition.unit,
                better=definition.better,
                baseline=baseline,
                target=target,
                points=points,
            )
        )
    return ClinicKpis(
        clinic_id=clinic_id,
        granularity=granularity,
        start=start,
        end=end,
        initiative=_initiative_public(initiative),
        kpis=series,
    )


def _initiative_public(initiative: KpiInitiative | None) -> InitiativePublic | None:
    if initiative is None:
        return None
    return InitiativePublic(
        id=initiative.id,
        kpi=initiative.kpi,
        baseline_start=initiative.baseline_start,
        baseline_end=initiative.baseline_end,
        target_change_pct=initiative.target_change_pct,
        pilot_group_size=len(initiative.pilot_group),
        active=initiative.active,
    )


async def list_alerts(*, session: AsyncSession, officer_id: str, clinic_id: UUID) -> list[AlertPublic]:
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    rows = await session.exec(
        select(KpiAlertRecord)
        .where(KpiAlertRecord.clinic_id == clinic_id)
        .order_by(col(KpiAlertRecord.raised_at))
    )
    return [_alert_public(row) for row in rows.all()]


def _alert_public(row: KpiAlertRecord) -> AlertPublic:
    return AlertPublic(
        id=row.id,
        initiative_id=row.initiative_id,
        kind=row.kind,
        kpi=row.kpi,
        metric=row.metric,
        week=row.week,
        message=row.message,
        evidence=row.evidence,
        raised_at=row.raised_at,
    )


# --- weekly snapshots and alerts ----------------------------------------------------------


def complete_weeks(*, first_day: date, as_of: date) -> list[str]:
    """ISO weeks from the one holding `first_day` up to the last one that ended before `as_of`."""
    this_week_start = as_of - timedelta(days=as_of.isoweekday() - 1)
    last_complete_end = this_week_start - timedelta(days=1)
    if last_complete_end < first_day:
        return []
    return kpis.periods_between(first_day, last_complete_end, "week")


@dataclass
class Evaluation:
    snapshots: list[str] = field(default_factory=list)
    alerts: list[KpiAlertRecord] = field(default_factory=list)


async def evaluate_initiative(*, session: AsyncSession, initiative: KpiInitiative, as_of: date) -> Evaluation:
    """Send the weekly snapshots not sent yet and raise the alerts now due (the caller commits).

    Runs any number of times: a week's snapshot goes out once (its record is the guard), and an
    alert id is derived from what it is about, so the same alert is never raised twice.
    """
    result = Evaluation()
    definition = kpis.definition(initiative.kpi)
    after_baseline = initiative.baseline_end + timedelta(days=1)
    weeks = complete_weeks(first_day=after_baseline, as_of=as_of)
    if not weeks:
        return result
    last_day = kpis.week_start(weeks[-1]) + timedelta(days=6)
    days = await load_days(
        session=session, clinic_id=initiative.clinic_id, start=initiative.baseline_start, end=last_day
    )
    weekly = kpis.group_periods({day: data for day, data in days.items() if day >= after_baseline}, "week")
    pilot_group = initiative.pilot_group
    baseline = kpis.baseline_value(
        definition,
        days,
        start=initiative.baseline_start,
        end=initiative.baseline_end,
        pilot_group=pilot_group,
    ).value
    target = kpis.target_value(baseline, initiative.target_change_pct)

    progress_series: list[tuple[str, float | None]] = []
    sent = set(
        (
            await session.exec(
                select(KpiSnapshotRecord.week).where(KpiSnapshotRecord.initiative_id == initiative.id)
            )
        ).all()
    )
    for week in weeks:
        value = kpis.compute_kpi(definition, weekly.get(week, kpis.PeriodData()), pilot_group=pilot_group)
        week_progress = kpis.progress(value.value, baseline=baseline, target=target)
        progress_series.append((week, week_progress))
        if week in sent or week not in weeks[-CATCH_UP_WEEKS:]:
            continue
        snapshot = KpiSnapshot(
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            kpi=definition.name,
            week=week,
            value=value.value,
            baseline=baseline,
            target=target,
            progress=week_progress,
            sample_size=value.sample_size,
        )
        add_to_outbox(session, snapshot, source=SOURCE, subject=str(initiative.clinic_id))
        session.add(
            KpiSnapshotRecord(
                initiative_id=initiative.id,
                week=week,
                clinic_id=initiative.clinic_id,
                kpi=definition.name,
                value=value.value,
                baseline=baseline,
                target=target,
                progress=week_progress,
                sample_size=value.sample_size,
            )
        )
        result.snapshots.append(f"{initiative.id}/{week}")

    findings: list[tuple[str, str, str, kpis.Finding]] = []
    regression = kpis.detect_target_regression(progress_series, kpi=definition.name)
    if regression is not None:
        findings.append(("target_regression", definition.name, definition.name, regression))

    pilot_start = initiative.pilot_started_on or after_baseline
    pilot_weeks = [week for week in weeks if kpis.week_start(week) + timedelta(days=6) >= pilot_start]
    staff_kpi = kpis.definition("ai_weekly_active_staff")
    active_staff = [
        (week, kpis.compute_kpi(staff_kpi, weekly.get(week, kpis.PeriodData())).value) for week in pilot_weeks
    ]
    minutes = [(week, weekly[week].counters["ai_minutes"] if week in weekly else 0.0) for week in pilot_weeks]
    if any(value for _, value in active_staff):
        for metric, series in (("ai_weekly_active_staff", active_staff), ("ai_usage_minutes", minutes)):
            decline = kpis.detect_adoption_decline(series, metric=metric)
            if decline is not None:
                findings.append(("adoption_decline", "ai_weekly_active_staff", metric, decline))

    for kind, kpi_name, metric, finding in findings:
        alert = await _raise_alert(
            session=session, initiative=initiative, kind=kind, kpi=kpi_name, metric=metric, finding=finding
        )
        if alert is not None:
            result.alerts.append(alert)
    return result


def alert_id(*, initiative_id: UUID, kind: str, metric: str, week: str) -> UUID:
    return uuid.uuid5(initiative_id, f"{kind}/{metric}/{week}")


async def _raise_alert(
    *,
    session: AsyncSession,
    initiative: KpiInitiative,
    kind: str,
    kpi: str,
    metric: str,
    finding: kpis.Finding,
) -> KpiAlertRecord | None:
    """Stage the alert unless it, or the same alert for the week before, was already raised.

    A decline that persists is one episode: the officer hears about it once, not every week.
    """
    this_id = alert_id(initiative_id=initiative.id, kind=kind, metric=metric, week=finding.week)
    previous_week = kpis.iso_week(kpis.week_start(finding.week) - timedelta(days=7))
    previous_id = alert_id(initiative_id=initiative.id, kind=kind, metric=metric, week=previous_week)
    if await session.get(KpiAlertRecord, this_id) or await session.get(KpiAlertRecord, previous_id):
        return None
    raised_at = datetime.now(UTC)
    record = KpiAlertRecord(
        id=this_id,
        clinic_id=initiative.clinic_id,
        initiative_id=initiative.id,
        kind=kind,
        kpi=kpi,
        metric=metric,
        week=finding.week,
        message=finding.message,
        evidence=finding.evidence,
        raised_at=raised_at,
    )
    session.add(record)
    add_to_outbox(
        session,
        KpiAlert(
            clinic_id=initiative.clinic_id,
            initiative_id=initiative.id,
            alert_id=this_id,
            kind=kind,
            kpi=kpi,
            week=finding.week,
            message=finding.message,
            evidence=finding.evidence,
            raised_at=raised_at,
        ),
        source=SOURCE,
        subject=str(initiative.clinic_id),
    )
    return record


async def evaluate_clinic(*, session: AsyncSession, clinic_id: UUID, as_of: date) -> Evaluation:
    """Evaluate the clinic's active initiatives and commit what went out."""
    total = Evaluation()
    rows = await session.exec(
        select(KpiInitiative).where(KpiInitiative.clinic_id == clinic_id, col(KpiInitiative.active).is_(True))
    )
    for initiative in rows.all():
        result = await evaluate_initiative(session=session, initiative=initiative, as_of=as_of)
        total.snapshots += result.snapshots
        total.alerts += result.alerts
    await session.commit()
    return total


async def clinics_with_active_initiatives(*, session: AsyncSession) -> list[UUID]:
    rows = await session.exec(
        select(KpiInitiative.clinic_id).where(col(KpiInitiative.active).is_(True)).distinct()
    )
    return list(rows.all())


def evaluation_report(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "snapshots": evaluation.snapshots,
        "alerts": [_alert_public(alert) for alert in evaluation.alerts],
    }


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
