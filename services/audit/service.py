"""Audit's domain logic: windows, task log entries, CSV import and the findings at the close.

Failures are the shared domain errors (NotFound, Conflict, Refused); Temporal is the starter's.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import Table, delete, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.audit import entries_csv
from services.audit.findings import AuditFindings, LoggedTask, RoleCost, compute_findings, usable_hourly_cost
from services.audit.models import (
    AuditClinic,
    AuditEntry,
    AuditImport,
    AuditStatus,
    AuditWindow,
    AuditWindowCreate,
    EntryCreate,
    ImportReport,
    RowError,
)
from services.audit.windows import audit_workflow_id
from shared import clock
from shared.calendar import UTC_CALENDAR, ClinicCalendar
from shared.errors import Conflict, NotFound, Refused
from shared.events import ClinicRegistered
from shared.events.audit import AuditCompleted, AuditOpened, AutomationCandidate
from shared.events.intake import ClinicArchived, ClinicUpdated
from shared.outbox import add_to_outbox

SOURCE = "/faio/audit"  # the CloudEvents source of every event audit publishes
ENTRY_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]


async def record_clinic(*, session: AsyncSession, event: ClinicRegistered | ClinicUpdated) -> AuditClinic:
    """Remember a clinic and its staff costs from intake's profile.

    An update always wins. A registration only inserts: it is the profile's first version, and
    it travels on another topic than the updates, so it may arrive after a newer update.
    """
    clinic = await session.get(AuditClinic, event.clinic_id)
    if clinic is not None and isinstance(event, ClinicRegistered):
        return clinic
    if clinic is None:
        clinic = AuditClinic(id=event.clinic_id, officer_id=event.officer_id, name=event.name)
    clinic.officer_id = event.officer_id
    clinic.name = event.name
    clinic.set_calendar(event.calendar)
    # An unusable hourly cost (Infinity, 1e308) is kept as unknown: stored JSON stays valid and
    # the findings show the role's hours unpriced instead of overflowing.
    clinic.staff = [
        {**role.model_dump(), "hourly_cost": usable_hourly_cost(role.hourly_cost)} for role in event.staff
    ]
    session.add(clinic)
    return clinic


async def archive_clinic(*, session: AsyncSession, event: ClinicArchived) -> AuditClinic | None:
    """Mark a clinic archived: its audits stay readable, no new window opens."""
    clinic = await session.get(AuditClinic, event.clinic_id)
    if clinic is not None:
        clinic.archived_at = event.archived_at
        session.add(clinic)
    return clinic


async def get_clinic(*, session: AsyncSession, clinic_id: UUID, officer_id: str) -> AuditClinic:
    """A clinic of this officer, or NotFound: another officer's clinic is as unknown as a missing one."""
    clinic = await session.get(AuditClinic, clinic_id)
    if clinic is None or clinic.officer_id != officer_id:
        raise NotFound(f"clinic {clinic_id} not found")
    return clinic


async def get_audit(*, session: AsyncSession, audit_id: UUID, officer_id: str) -> AuditWindow:
    """An audit window of this officer's clinic, or NotFound."""
    audit = await window_by_id(session=session, audit_id=audit_id, officer_id=officer_id)
    if audit is None:
        raise NotFound(f"audit {audit_id} not found")
    return audit


async def window_by_id(
    *, session: AsyncSession, audit_id: UUID, officer_id: str | None = None, for_update: bool = False
) -> AuditWindow | None:
    """A window found by its id alone (the audit's URL and the workflow name only the audit; its
    clinic, the tenant, comes with the row), of this officer when one is given."""
    statement = select(AuditWindow).where(AuditWindow.id == audit_id)
    if officer_id is not None:
        statement = statement.where(AuditWindow.officer_id == officer_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def list_audits(*, session: AsyncSession, clinic_id: UUID) -> Sequence[AuditWindow]:
    """A clinic's audit windows, newest first."""
    statement = (
        select(AuditWindow)
        .where(AuditWindow.clinic_id == clinic_id)
        .order_by(col(AuditWindow.starts_on).desc(), col(AuditWindow.created_at).desc())
    )
    return (await session.exec(statement)).all()


async def count_entries(*, session: AsyncSession, audit_id: UUID) -> int:
    statement = select(func.count()).select_from(AuditEntry).where(AuditEntry.audit_id == audit_id)
    return int((await session.exec(statement)).one())


async def open_audit(
    *, session: AsyncSession, clinic: AuditClinic, window_in: AuditWindowCreate, today: date
) -> AuditWindow:
    """Open an audit window (not committed); Conflict if the clinic already has an open one."""
    if clinic.archived_at is not None:
        raise Conflict(f"clinic {clinic.id} is archived; it takes no new audit window")
    starts_on = window_in.starts_on or today
    ends_on = starts_on + timedelta(days=window_in.days - 1)
    if ends_on < today:
        # It would close the moment it opened, before anyone could log a task.
        raise Refused(
            f"a window from {starts_on} to {ends_on} is already over; start it today or later "
            f"(or no earlier than {today - timedelta(days=window_in.days - 1)} for {window_in.days} days)"
        )
    statement = select(AuditWindow).where(
        AuditWindow.clinic_id == clinic.id, AuditWindow.status == AuditStatus.open
    )
    existing = (await session.exec(statement)).first()
    if existing is not None:
        raise Conflict(_already_open(existing))
    audit = AuditWindow(
        clinic_id=clinic.id,
        officer_id=clinic.officer_id,
        starts_on=starts_on,
        ends_on=ends_on,
        closes_at=datetime.combine(ends_on + timedelta(days=1), time(0), tzinfo=UTC),
        days=window_in.days,
        workflow_id="",
    )
    audit.workflow_id = audit_workflow_id(audit.id)
    session.add(audit)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent request opened one first
        await session.rollback()
        raise Conflict(f"clinic {clinic.id} already has an open audit window") from error
    opened = AuditOpened(
        clinic_id=clinic.id,
        audit_id=audit.id,
        starts_on=starts_on,
        ends_on=ends_on,
        opened_at=audit.created_at,
    )
    add_to_outbox(session, opened, source=SOURCE, subject=str(clinic.id))
    return audit


def _already_open(audit: AuditWindow) -> str:
    return (
        f"clinic {audit.clinic_id} already has an open audit window {audit.id} "
        f"({audit.starts_on} to {audit.ends_on}); close it first with POST /v1/audits/{audit.id}/close"
    )


def ensure_closable(audit: AuditWindow) -> None:
    """Conflict when the window has closed already: its findings are final."""
    if audit.status == AuditStatus.closed:
        raise Conflict(f"audit {audit.id} is already closed ({audit.close_reason})")


def closed_findings(audit: AuditWindow) -> AuditFindings:
    """A closed audit's findings; Conflict while the window is still open."""
    if audit.status != AuditStatus.closed or audit.findings is None:
        raise Conflict(
            f"audit {audit.id} is still open until {audit.closes_at:%Y-%m-%d %H:%M} UTC; "
            f"findings appear when it closes (or close it early with POST /v1/audits/{audit.id}/close)"
        )
    return AuditFindings.model_validate(audit.findings)


def clinic_roles(clinic: AuditClinic) -> dict[str, str]:
    """The clinic's role names, keyed by their normalised spelling."""
    return {" ".join(str(role["role"]).lower().split()): str(role["role"]) for role in clinic.staff}


async def _ensure_open(session: AsyncSession, audit: AuditWindow) -> None:
    # Lock the window row (PostgreSQL; SQLite serialises writers anyway) so entries cannot slip
    # in while the closing activity, which takes the same lock, computes the findings.
    await session.refresh(audit, with_for_update=True)
    if audit.status != AuditStatus.open:
        raise Conflict(
            f"audit {audit.id} closed on {audit.closed_at:%Y-%m-%d} ({audit.close_reason}); "
            "its findings are final, so it takes no more entries"
            if audit.closed_at
            else f"audit {audit.id} is closed and takes no more entries"
        )


async def _store_entries(
    session: AsyncSession,
    *,
    audit: AuditWindow,
    entries: Sequence[EntryCreate],
    source: str,
    import_id: UUID | None = None,
) -> None:
    # One Core executemany: a 5,000-row spreadsheet must not become 5,000 ORM objects and flushes.
    now = clock.now()
    stored = {
        "clinic_id": audit.clinic_id,
        "audit_id": audit.id,
        "source": source,
        "import_id": import_id,
        "created_at": now,
    }
    # Numbered after the clinic's last entry; the caller holds the open window's lock, and a clinic
    # has one open window, so no two writers number the same clinic at once.
    last = await session.exec(select(func.max(AuditEntry.id)).where(AuditEntry.clinic_id == audit.clinic_id))
    first = (last.one() or 0) + 1
    rows = [{**entry.model_dump(), **stored, "id": first + n} for n, entry in enumerate(entries)]
    if rows:
        connection = await session.connection()
        await connection.execute(insert(ENTRY_TABLE), rows)


async def add_entries(
    *,
    session: AsyncSession,
    audit: AuditWindow,
    clinic: AuditClinic,
    entries: Sequence[EntryCreate],
    source: str = "api",
) -> list[RowError]:
    """Log entries (not committed), all or none: the problems of each bad entry (1-based), if any."""
    await _ensure_open(session, audit)
    accepted, errors = entries_csv.check_against_window(
        enumerate(entries, start=1),
        roles=clinic_roles(clinic),
        starts_on=audit.starts_on,
        ends_on=audit.ends_on,
        today=clinic.calendar().today(),
    )
    if not errors:
        await _store_entries(session, audit=audit, entries=accepted, source=source)
    return errors


async def import_entries(
    *, session: AsyncSession, audit: AuditWindow, clinic: AuditClinic, csv_text: str, dry_run: bool
) -> ImportReport:
    """Import a filled-in template, all or nothing (not committed).

    Every bad row is in the report; if there is any, nothing is stored. A dry run checks the
    whole file the same way and stores nothing either.
    """
    await _ensure_open(session, audit)
    fingerprint = entries_csv.content_hash(csv_text)
    await _refuse_repeated_import(session, audit=audit, fingerprint=fingerprint)
    parsed, read_errors = entries_csv.read_entries(csv_text)
    accepted, window_errors = entries_csv.check_against_window(
        parsed,
        roles=clinic_roles(clinic),
        starts_on=audit.starts_on,
        ends_on=audit.ends_on,
        today=clinic.calendar().today(),
    )
    errors = sorted([*read_errors, *window_errors], key=lambda error: error.line)
    rows = len(parsed) + len({error.line for error in read_errors if error.line > 1})
    if errors or dry_run:
        return ImportReport(audit_id=audit.id, dry_run=dry_run, rows=rows, imported=0, errors=errors)
    record = AuditImport(
        clinic_id=audit.clinic_id, audit_id=audit.id, content_sha256=fingerprint, rows=len(accepted)
    )
    session.add(record)
    await session.flush()
    await _store_entries(session, audit=audit, entries=accepted, source="csv", import_id=record.id)
    return ImportReport(
        audit_id=audit.id, import_id=record.id, dry_run=False, rows=rows, imported=len(accepted)
    )


async def _refuse_repeated_import(session: AsyncSession, *, audit: AuditWindow, fingerprint: str) -> None:
    # Called under the window's row lock, so two uploads of one file cannot both get in.
    earlier = (
        await session.exec(
            select(AuditImport).where(
                AuditImport.audit_id == audit.id,
                AuditImport.content_sha256 == fingerprint,
                col(AuditImport.undone_at).is_(None),
            )
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"this file was already imported on {earlier.imported_at:%Y-%m-%d %H:%M} UTC as import "
            f"{earlier.id} ({earlier.rows} entries); importing it again would count those tasks twice. "
            f"To replace it, undo that import first: faio audit undo-import {earlier.id} --audit {audit.id}"
        )


async def list_imports(*, session: AsyncSession, audit: AuditWindow) -> Sequence[AuditImport]:
    statement = (
        select(AuditImport).where(AuditImport.audit_id == audit.id).order_by(col(AuditImport.imported_at))
    )
    return (await session.exec(statement)).all()


async def undo_import(*, session: AsyncSession, audit: AuditWindow, import_id: UUID) -> AuditImport:
    """Remove the entries one import brought (not committed); undoing twice changes nothing."""
    await _ensure_open(session, audit)
    record = await session.get(AuditImport, (audit.clinic_id, import_id))
    if record is None or record.audit_id != audit.id:
        raise NotFound(f"audit {audit.id} has no import {import_id}; list them with faio audit imports")
    if record.undone_at is None:
        connection = await session.connection()
        await connection.execute(
            delete(ENTRY_TABLE).where(
                ENTRY_TABLE.c.clinic_id == audit.clinic_id, ENTRY_TABLE.c.import_id == import_id
            )
        )
        record.undone_at = clock.now()
        session.add(record)
    return record


async def list_entries(
    *, session: AsyncSession, audit_id: UUID, offset: int = 0, limit: int = 100
) -> Sequence[AuditEntry]:
    statement = (
        select(AuditEntry)
        .where(AuditEntry.audit_id == audit_id)
        .order_by(col(AuditEntry.day), col(AuditEntry.id))
        .offset(offset)
        .limit(limit)
    )
    return (await session.exec(statement)).all()


def role_costs(clinic: AuditClinic) -> list[RoleCost]:
    return [
        RoleCost(
            role=str(role["role"]),
            headcount=int(str(role.get("headcount", 0))),
            hourly_cost=None if role.get("hourly_cost") is None else float(str(role["hourly_cost"])),
        )
        for role in clinic.staff
    ]


def open_days_covered(audit: AuditWindow, calendar: ClinicCalendar, closed_at: datetime) -> int:
    """The clinic's open days from the window's first day to the day it closed (both included),
    that day read in the clinic's zone: fewer than planned when the officer closed it early."""
    # The timer closes at 00:00 UTC after the last day, already the next day east of UTC.
    last = min(audit.ends_on, calendar.day_of(closed_at))
    return len(calendar.open_days_between(audit.starts_on, last))


async def findings_of(*, session: AsyncSession, audit: AuditWindow, closed_at: datetime) -> AuditFindings:
    """Compute an audit's findings from its entries, the clinic's role costs and the working days
    the window covered until `closed_at`."""
    clinic = await session.get(AuditClinic, audit.clinic_id)
    entries = (
        await session.exec(
            select(AuditEntry).where(AuditEntry.clinic_id == audit.clinic_id, AuditEntry.audit_id == audit.id)
        )
    ).all()
    tasks = [
        LoggedTask(
            staff_id=entry.staff_id,
            role=entry.role,
            category=entry.category,
            description=entry.description,
            minutes=entry.minutes,
            occurrences=entry.occurrences,
            predictability=entry.predictability,
        )
        for entry in entries
    ]
    roles = role_costs(clinic) if clinic is not None else []
    calendar = clinic.calendar() if clinic is not None else UTC_CALENDAR
    return compute_findings(
        tasks=tasks,
        roles=roles,
        window_days=audit.days,
        open_days_covered=open_days_covered(audit, calendar, closed_at),
        open_days_per_week=len(calendar.open_days),
    )


async def complete_audit(
    *, session: AsyncSession, audit_id: UUID, reason: str, closed_at: datetime
) -> AuditWindow | None:
    """Close the window, store its findings and stage audit.audit.completed.v1 (not committed).

    Idempotent: a window already closed is returned unchanged, so the event is staged once.
    """
    audit = await window_by_id(session=session, audit_id=audit_id, for_update=True)
    if audit is None or audit.status == AuditStatus.closed:
        return audit
    findings = await findings_of(session=session, audit=audit, closed_at=closed_at)
    audit.status = AuditStatus.closed
    audit.close_reason = reason
    audit.closed_at = closed_at
    audit.findings = findings.model_dump(mode="json")
    session.add(audit)
    add_to_outbox(session, completed_event(audit, findings), source=SOURCE, subject=str(audit.clinic_id))
    return audit


def completed_event(audit: AuditWindow, findings: AuditFindings) -> AuditCompleted:
    """The event that carries a closed audit's ranked candidates to the roadmap."""
    assert audit.closed_at is not None
    return AuditCompleted(
        clinic_id=audit.clinic_id,
        audit_id=audit.id,
        window_start=audit.starts_on,
        window_end=audit.ends_on,
        total_hours_per_week=findings.total_hours_per_week,
        total_cost_per_week=findings.total_cost_per_week,
        low_confidence=findings.coverage.low_confidence,
        candidates=[
            AutomationCandidate(
                rank=candidate.rank,
                category=candidate.category.value,
                solution=candidate.solution,
                hours_per_week=candidate.hours_per_week,
                cost_per_week=candidate.cost_per_week,
                predictability=candidate.predictability,
                score=candidate.score,
                hours_saved_low=candidate.hours_saved_low,
                hours_saved_high=candidate.hours_saved_high,
                roles=candidate.roles,
                distinct_tasks=candidate.distinct_tasks,
                occurrences_per_week=candidate.occurrences_per_week,
            )
            for candidate in findings.candidates
        ],
        completed_at=audit.closed_at,
        repetitiveness_score=findings.repetitiveness_score,
        staff_logged=findings.coverage.staff_logged,
        staff_expected=findings.coverage.staff_expected,
        missing_staff=findings.coverage.missing,
        close_reason=audit.close_reason,
    )
